export {
  TTStreamHealthIndicator,
  type TTStreamServerHealthState,
} from './ttstream-health.indicator.js';
export { type TTStreamClientHealthOptions } from './client-health-options.interface.js';
export { type TTStreamHealthResult, type TTStreamHealthDetail } from './health-result.js';
export { DEFAULT_HEALTH_TIMEOUT_MS } from './probe-client.js';
