/**
 * The fleet fault suite: `npm run test:fleet` runs three sample server processes registered in a
 * real etcd (Debian's etcd-server) and breaks things under load: `kill -9` of an instance,
 * `SIGTERM` of one (deregister, then drain), etcd stopped for 30 s. Not part of `npm test`
 * (about two minutes, mostly waiting for leases and the outage).
 * Same ESM/ts-jest setup as jest.config.js; run with --runInBand.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test/fleet'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  // Compiles bench/fleet-instance.ts once for all spec files (FLEET_INSTANCE_SCRIPT).
  globalSetup: '<rootDir>/test/fleet/global-setup.ts',
  globalTeardown: '<rootDir>/test/fleet/global-teardown.ts',
  testTimeout: 120000,
};
