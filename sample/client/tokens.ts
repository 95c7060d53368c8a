/** The injection token of the sample's `TTStreamClient`. */
export const ECHO_CLIENT = 'ECHO_CLIENT';
