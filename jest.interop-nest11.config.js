/**
 * The interop tests that run the Nest server or client against Kitex, under Nest 11
 * (`npm run test:interop:nest11`; see jest.nest11.config.js for the mapping).
 */
import base from './jest.interop.config.js';
import { nest11ModuleNameMapper } from './jest.nest11.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/interop', '<rootDir>/test/nest11'],
  testMatch: [
    '<rootDir>/test/interop/nest-sample.spec.ts',
    '<rootDir>/test/interop/nest-client-kitex-server.spec.ts',
    '<rootDir>/test/nest11/*.spec.ts',
  ],
  moduleNameMapper: { ...nest11ModuleNameMapper, ...base.moduleNameMapper },
};
