/**
 * Run only by jest.nest11.config.js and jest.interop-nest11.config.js: the code under test (lib/,
 * the tests, sample/) really loads Nest 11 from test/nest11/node_modules, not the root's Nest 12.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ClientProxy, Server } from '@nestjs/microservices';
import { TTStreamClient, TTStreamServer } from '../../lib/index.js';
import { loadedNestVersion } from '../helpers/nest-version.js';

describe('the Nest 11 configuration', () => {
  it.each(['common', 'core', 'microservices', 'testing'])('loads @nestjs/%s 11.x', async (name) => {
    expect(await loadedNestVersion(name)).toMatch(/^11\./);
  });

  it("lib/'s server and client extend Nest 11's Server and ClientProxy", () => {
    expect(Object.getPrototypeOf(TTStreamServer)).toBe(Server);
    expect(Object.getPrototypeOf(TTStreamClient)).toBe(ClientProxy);
    // Nest 12 added Server.runWithProcessingHooks.
    expect('runWithProcessingHooks' in Object.getPrototypeOf(TTStreamServer).prototype).toBe(false);
  });

  it('shares rxjs and reflect-metadata with the root (no second copy under test/nest11)', () => {
    for (const name of ['rxjs', 'reflect-metadata']) {
      expect(existsSync(resolve(process.cwd(), 'test/nest11/node_modules', name))).toBe(false);
    }
  });
});
