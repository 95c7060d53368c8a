import { type UnaryCall } from '../transport/index.js';
import { type ServerCall } from './server-call.js';

/**
 * A unary or oneway call seen through the {@link ServerCall} interface the Nest layer drives, so
 * that `@MessagePattern` and `@EventPattern` handlers run through the same pipeline as stream
 * handlers: it yields `payload` once, `send` keeps the reply value, and the reply's keys
 * (`setHeader`, `setTrailer`: a unary reply has one header) go to the transport.
 * @internal not covered by semver
 */
export function serverCallFromUnary(
  call: UnaryCall,
  payload: unknown,
  onReply: (value: unknown) => void,
): ServerCall {
  let sent = 0;
  const setHeader = (record: Readonly<Record<string, string>>): void => {
    for (const [key, value] of Object.entries(record)) call.setReplyHeader(key, value);
  };
  return {
    streamId: call.seqId,
    service: call.service,
    method: call.method,
    mode: 'unary',
    headers: Object.freeze(Object.fromEntries(call.headers)),
    timeoutMs: call.timeoutMs,
    remoteAddress: call.remoteAddress,
    signal: call.signal,
    get sentMessages() {
      return sent;
    },
    receivedMessages: 1,
    // The Thrift messages of the request and the reply (the reply once built).
    get sentBytes() {
      return call.replyBytes;
    },
    receivedBytes: call.requestBytes,
    afterReply(listener) {
      call.afterReply(listener);
    },
    setHeader,
    sendHeader(record = {}) {
      setHeader(record);
      return Promise.resolve();
    },
    setTrailer: setHeader,
    send(message) {
      sent = 1;
      onReply(message);
      return Promise.resolve();
    },
    reset(error) {
      // A unary call has no stream to reset: its reply becomes the error.
      throw error;
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- yields the one request it has
    async *[Symbol.asyncIterator]() {
      yield payload;
    },
  };
}
