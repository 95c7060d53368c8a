export {
  TTStreamErrorCode,
  type TTStreamErrorCategory,
  isTTStreamErrorCode,
  errorCodeText,
  errorCodeCategory,
} from './error-code.js';
export {
  TTStreamError,
  type TTStreamErrorOptions,
  type StreamSide,
  formatTTStreamMessage,
  isTTStreamError,
} from './ttstream-error.js';
export {
  ApplicationException,
  type ApplicationExceptionOptions,
  TApplicationExceptionType,
} from './application-exception.js';
export { BizStatusError, type BizStatus, fromBizStatusError } from './biz-status-error.js';
export {
  ThriftException,
  type ThriftExceptionClass,
  asThriftException,
} from './thrift-exception.js';
export {
  RpcCallError,
  RpcCallErrorKind,
  type RpcCallErrorOptions,
  formatRpcCallMessage,
  isRpcCallError,
} from './rpc-call-error.js';
