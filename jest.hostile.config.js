/**
 * The hostile-input suite: `npm run test:hostile` starts the sample server as a real process and
 * attacks it (garbage, resets, floods, huge frames, slow senders) while a well-behaved client
 * keeps calling it. Not part of `npm test` (about a minute, thousands of sockets).
 * Same ESM/ts-jest setup as jest.config.js; run with --runInBand.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test/hostile'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 60000,
};
