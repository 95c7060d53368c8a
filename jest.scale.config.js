/**
 * The scale and leak suites (test/scale): `npm test` runs them after the rest, in a process of
 * their own. Heap readings and million-message streams must not share a process with a hundred
 * suites' leftovers (module registries, timers): run in band after them, S-6 took 270 s instead
 * of 6 s.
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/scale'],
  testPathIgnorePatterns: ['/node_modules/'],
};
