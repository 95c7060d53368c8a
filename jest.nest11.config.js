/**
 * The Nest integration tests against Nest 11 (`npm run test:nest11`): the same suites as
 * jest.config.js runs under Nest 12, with every `@nestjs/*` import (from lib/, sample/, the tests
 * and Nest itself) mapped to the second install in test/nest11/node_modules (`npm ci --omit=peer`
 * there; rxjs and reflect-metadata stay the root's). test/nest11/nest-version.spec.ts fails if
 * the mapping stops taking effect.
 */
import { existsSync } from 'node:fs';
import base from './jest.config.js';

if (!existsSync(new URL('./test/nest11/node_modules/@nestjs/core/package.json', import.meta.url))) {
  throw new Error(
    'Nest 11 is not installed: run `(cd test/nest11 && npm ci --omit=peer)` first (see .ci/run)',
  );
}

/** `@nestjs/<package>[/<subpath>]` to the Nest 11 copy; first, before the base mappings. */
export const nest11ModuleNameMapper = {
  '^@nestjs/(common|core|microservices|testing)(/.*)?$':
    '<rootDir>/test/nest11/node_modules/@nestjs/$1$2',
};

export default {
  ...base,
  roots: ['<rootDir>/test/integration/nest', '<rootDir>/test/nest11'],
  testPathIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: { ...nest11ModuleNameMapper, ...base.moduleNameMapper },
};
