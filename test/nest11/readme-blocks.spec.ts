/**
 * Run only by jest.nest11.config.js: the README's TypeScript blocks type-check against Nest 11's
 * types too (test/docs/readme-blocks.spec.ts checks them against Nest 12's).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { README_PREAMBLES } from '../docs/readme-preambles.js';
import { codeBlocks, nest11Paths, ROOT, typeCheckBlocks } from '../docs/readme-check.js';

it("the README's ts blocks type-check against Nest 11", () => {
  const blocks = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  expect(typeCheckBlocks(blocks, README_PREAMBLES, nest11Paths())).toEqual([]);
}, 120_000);

it('the mapping takes effect: Nest 12-only members are missing', () => {
  const probe = [
    '```ts',
    "import { type Server } from '@nestjs/microservices';",
    'declare const server: Server;',
    "console.log('runWithProcessingHooks' in server, server.runWithProcessingHooks);",
    '```',
  ].join('\n');
  expect(typeCheckBlocks(codeBlocks(probe), {}, nest11Paths())).toEqual([
    {
      line: 4,
      message: expect.stringContaining("Property 'runWithProcessingHooks' does not exist"),
    },
  ]);
}, 120_000);
