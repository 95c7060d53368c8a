export { StreamPattern, type StreamPatternOptions } from './stream-pattern.decorator.js';
