export { TTStreamClient, type TTStreamClientStatus } from './ttstream.client.js';
export { type TTStreamClientOptions } from './ttstream-client-options.interface.js';
export { type TTStreamCallOptions } from './ttstream-call-options.interface.js';
export { REQUEST_HIGH_WATER_MARK } from './client-call.js';
export { type TTStreamServiceClient } from './service-client.type.js';
export {
  type ClientDiscoveryOptions,
  DEFAULT_CONNECT_ATTEMPTS,
  DEFAULT_DRAIN_TIMEOUT_MS,
} from './balanced-target.js';
