/** Jest 30 in ESM mode through ts-jest; run with NODE_OPTIONS=--experimental-vm-modules. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // test/nest11/: specs run only under jest.nest11.config.js (they assert Nest 11 is loaded).
  // test/hostile/: only under jest.hostile.config.js (npm run test:hostile: a real server process
  // under attack for about a minute and a half).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/interop/',
    '<rootDir>/test/nest11/',
    '<rootDir>/test/hostile/',
    // test/scale/: in a process of its own (jest.scale.config.js), run by `npm test` after these.
    '<rootDir>/test/scale/',
    // test/fleet/: only under jest.fleet.config.js (npm run test:fleet: instance processes, etcd).
    '<rootDir>/test/fleet/',
  ],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 30000,
};
