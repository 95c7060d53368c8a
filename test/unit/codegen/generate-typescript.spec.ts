import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import prettier from 'prettier';
import ts from 'typescript';
import { generateTypeScript } from '../../../lib/codegen/generate-typescript.js';
import { loadThriftIdl } from '../../../lib/idl/load-thrift-idl.js';
import { createIdlFromDocument, idlToDocument } from '../../../lib/thrift/idl-document.js';
import { type StreamingMethodDescriptor, type ThriftIdl } from '../../../lib/thrift/thrift-idl.js';
import { ECHO_IDL } from '../../../sample/generated/echo.js';

const ECHO_THRIFT = resolve('sample/idl/echo.thrift');
const ALL_TYPES = resolve('test/fixtures/thrift/all-types.thrift');

async function format(code: string): Promise<string> {
  const config = (await prettier.resolveConfig(resolve('sample/generated/echo.ts'))) ?? {};
  return prettier.format(code, { ...config, parser: 'typescript' });
}

function streaming(idl: ThriftIdl, service: string, method: string): StreamingMethodDescriptor {
  const m = idl.services.get(service)?.methods.get(method);
  if (m === undefined || m.mode === 'unary') throw new Error(`${service}.${method} not streaming`);
  return m;
}

describe('generateTypeScript', () => {
  it('matches the committed sample/generated/echo.ts (run `npm run gen:sample` after IDL changes)', async () => {
    const generated = generateTypeScript(loadThriftIdl(ECHO_THRIFT), { sourceName: 'echo.thrift' });
    const committed = readFileSync(resolve('sample/generated/echo.ts'), 'utf8');
    expect(await format(generated)).toBe(await format(committed));
  });

  it('types streaming methods by mode in the client and handler interfaces', () => {
    const code = generateTypeScript(loadThriftIdl(ECHO_THRIFT));
    expect(code).toContain('Echo(requests: Observable<Request>): Observable<Response>;');
    expect(code).toContain('EchoClient(requests: Observable<Request>): Observable<Response>;');
    expect(code).toContain('EchoServer(request: Request): Observable<Response>;');
    expect(code).toContain(
      'EchoServer(request: Request, ...context: unknown[]): TTStreamHandlerResult<Response>;',
    );
    expect(code).toContain("export const TEST_SERVICE_NAME = 'TestService';");
    expect(code).toContain("Echo: 'TestService.Echo',");
    expect(code).toContain("import type { Observable } from 'rxjs';");
  });

  it('renders every construct of the all-types fixture', () => {
    const code = generateTypeScript(loadThriftIdl(ALL_TYPES));
    expect(code).toContain(
      'export const Color = {\n  RED: 1,\n  GREEN: 2,\n  BLUE: 16,\n} as const;',
    );
    expect(code).toContain('export type Id = bigint;');
    expect(code).toContain('export type SmallId = number;');
    expect(code).toContain('aBool: boolean;');
    expect(code).toContain('aSmallI64: number;');
    expect(code).toContain('aMap: Map<string, Array<number>>;');
    expect(code).toContain('aChoice?: Choice;');
    expect(code).toContain('anInner?: Inner;');
    expect(code).toContain('base?: base_Base;');
    expect(code).toContain('export const BIG: bigint = 9223372036854775807n;');
    expect(code).toContain('export const ALL_TYPES_IDL = {');
    // Unary methods are left out of the streaming interfaces.
    expect(code).toContain('Unary methods (Plain, ExplicitUnary, Fire, Count)');
    expect(code).not.toMatch(/^\s+Plain\(/m);
  });
});

describe('generated schema data', () => {
  it('gives the same bytes as the IDL for the echo messages', () => {
    const fromIdl = loadThriftIdl(ECHO_THRIFT);
    const fromGenerated = createIdlFromDocument(ECHO_IDL);
    const value = fc.record({
      message: fc.string({ unit: 'grapheme' }),
      userId: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      count: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    });
    for (const method of ['Echo', 'EchoClient', 'EchoServer', 'ServerStreamWithErr']) {
      const a = streaming(fromIdl, 'TestService', method);
      const b = streaming(fromGenerated, 'TestService', method);
      expect(b.mode).toBe(a.mode);
      fc.assert(
        fc.property(value, (v) => {
          const bytes = a.requestCodec.encode(v);
          expect(b.requestCodec.encode(v)).toEqual(bytes);
          expect(b.requestCodec.decode(bytes)).toEqual(a.requestCodec.decode(bytes));
          const response = { message: v.message, index: v.count };
          expect(b.responseCodec.encode(response)).toEqual(a.responseCodec.encode(response));
        }),
        { seed: 8, numRuns: 50 },
      );
    }
  });

  it('gives the same bytes as the IDL for the all-types fixture', () => {
    const fromIdl = loadThriftIdl(ALL_TYPES);
    const fromDocument = createIdlFromDocument(idlToDocument(fromIdl));
    const value = {
      aBool: true,
      aByte: -1,
      aI64: 2n ** 62n,
      aSmallI64: 12,
      aBinary: new Uint8Array([1, 2]),
      aSet: ['x'],
      aMap: new Map([['k', [1]]]),
      anInner: { label: 'l', flag: true },
      aChoice: { inner: { label: 'c' } },
      anOops: { message: 'm', code: 3 },
      byId: new Map([[5n, { label: 'five' }]]),
      nested: [new Map([['n', [{ label: 'deep' }]]])],
      recursive: { aBool: false, recursive: { aBool: true } },
      base: { logId: 'log', extra: new Map([['a', 'b']]) },
      plainI64: -7,
      aliased: { label: 'alias' },
    };
    const a = streaming(fromIdl, 'AllService', 'Bidi');
    const b = streaming(fromDocument, 'AllService', 'Bidi');
    const bytes = a.requestCodec.encode(value);
    expect(b.requestCodec.encode(value)).toEqual(bytes);
    expect(b.requestCodec.decode(bytes)).toEqual(a.requestCodec.decode(bytes));
    expect(streaming(fromDocument, 'AllService', 'Ping').service).toBe('base.BaseService');
  });
});

describe('generated code type-checks under the strict tsconfig', () => {
  const dir = resolve(`.tmp/codegen-${process.pid}`);

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles the all-types output together with code that uses it', () => {
    writeFileSync(join(dir, 'all-types.ts'), generateTypeScript(loadThriftIdl(ALL_TYPES)));
    writeFileSync(
      join(dir, 'use.ts'),
      `import { of, type Observable } from 'rxjs';
import {
  ALL_TYPES_IDL, AllServicePatterns, Color, type AllServiceClient, type AllServiceHandler,
  type Choice, type Everything, type Inner, GROUPS,
} from './all-types.js';

const inner: Inner = { label: 'x', flag: false };
const choice: Choice = { text: 'a' };
const color: Color = Color.BLUE;
export const value: Everything = {
  aBool: true, aByte: 1, aI16: 2, aI32: 3, aI64: 4n, aSmallI64: 5, aDouble: 6.5, aString: 's',
  aBinary: new Uint8Array(), aColor: color, aList: [1], aSet: ['a'], aMap: GROUPS,
  anInner: inner, aChoice: choice, names: [], byId: new Map([[1n, inner]]),
  nested: [new Map([['k', [inner]]])], plainI64: 7,
};
export const fileName: 'all-types.thrift' = ALL_TYPES_IDL.fileName;
export const pattern: 'AllService.Bidi' = AllServicePatterns.Bidi;
export function call(client: AllServiceClient): Observable<Everything> {
  return client.ServerSide(value).pipe(() => client.Bidi(of(value)));
}
export class Controller implements AllServiceHandler {
  Ping(request: { logId: string }) { return of({ logId: request.logId }); }
  Bidi(requests: Observable<Everything>, _ctx: { streamId: number }) { return requests; }
  async ClientSide(_requests: Observable<Everything>) { return value; }
  async *ServerSide(request: Everything) { yield request; }
}
`,
    );
    const base = ts.readConfigFile(resolve('tsconfig.base.json'), (p) => ts.sys.readFile(p));
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, resolve('.'));
    const program = ts.createProgram([join(dir, 'use.ts')], {
      ...parsed.options,
      noEmit: true,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});
