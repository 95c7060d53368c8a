import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';

/**
 * A generated service client interface (`TestServiceClient`) with an optional
 * {@link TTStreamCallOptions} last argument on every method, as `TTStreamClient.getService`
 * provides it: `client.getService<TTStreamServiceClient<TestServiceClient>>('TestService')`.
 */
export type TTStreamServiceClient<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: [...A, options?: TTStreamCallOptions]) => R
    : T[K];
};
