/**
 * String header keys that ttstream gives a meaning to.
 * Kitex: `pkg/remote/trans/ttstream/{frame,exception}.go`, gopkg `ttheader/metakey.go`.
 */

/** Client HEADER: the IDL service name. */
export const HEADER_IDL_SERVICE_NAME = 'isn';

/** Server TRAILER: business status code (decimal int32). */
export const HEADER_BIZ_STATUS = 'biz-status';

/** Server TRAILER: business message. */
export const HEADER_BIZ_MESSAGE = 'biz-message';

/** Server TRAILER: business extra pairs as compact JSON. */
export const HEADER_BIZ_EXTRA = 'biz-extra';

/** RST: the cascading cancel path, comma-separated service names. */
export const HEADER_CANCEL_PATH = 'ttscp';

/** The ACL token; travels in its own info block (0x11), not in the string block. */
export const HEADER_GDPR_TOKEN = 'RPC_TRANSIT_gdpr-token';

/**
 * Set to `1` on a ping-pong reply after which the server closes the connection (shutdown, read
 * error, unknown method): the client must not reuse it.
 */
export const HEADER_CONNECTION_RESET = 'crrst';
