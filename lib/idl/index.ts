export {
  loadThriftIdl,
  loadThriftIdlFromSource,
  type LoadThriftIdlOptions,
  type LoadThriftIdlFromSourceOptions,
} from './load-thrift-idl.js';
