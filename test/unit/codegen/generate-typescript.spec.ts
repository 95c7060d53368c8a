import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import prettier from 'prettier';
import ts from 'typescript';
import { generateTypeScript } from '../../../lib/codegen/generate-typescript.js';
import { loadThriftIdl } from '../../../lib/idl/load-thrift-idl.js';
import { parseThriftIdl } from '../../../lib/thrift/parse-thrift-idl.js';
import { createIdlFromDocument, idlToDocument } from '../../../lib/thrift/idl-document.js';
import {
  type StreamingMethodDescriptor,
  type ThriftIdl,
  type UnaryMethodDescriptor,
} from '../../../lib/thrift/thrift-idl.js';
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

function unary(idl: ThriftIdl, service: string, method: string): UnaryMethodDescriptor {
  const m = idl.services.get(service)?.methods.get(method);
  if (m?.mode !== 'unary') throw new Error(`${service}.${method} not unary`);
  return m;
}

describe('generateTypeScript', () => {
  it('matches the committed sample/generated/echo.ts (run `npm run gen:sample` after IDL changes)', async () => {
    const generated = generateTypeScript(loadThriftIdl(ECHO_THRIFT), {
      sourceName: 'echo.thrift',
      runtimeImport: '../../lib/index.js',
    });
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

  it('types unary and oneway methods in the client and handler interfaces', () => {
    const code = generateTypeScript(loadThriftIdl(ECHO_THRIFT));
    expect(code).toContain(
      '  /** unary: emits the one reply */\n  EchoUnary(request: Request): Observable<Response>;',
    );
    expect(code).toContain(
      '  /** unary: emits the one reply; may fail with EchoException */\n  UnaryWithErr(request: Request): Observable<Response>;',
    );
    expect(code).toContain(
      '  /** oneway: nothing comes back; completes once the call is written */\n  Notify(request: Request): Observable<void>;',
    );
    expect(code).toContain(
      '  /** unary (`@MessagePattern`); may throw EchoException */\n  UnaryWithErr(request: Request, ...context: unknown[]): TTStreamHandlerResult<Response>;',
    );
    expect(code).toContain(
      '  /** oneway (`@EventPattern`): nothing is sent back */\n  Notify(request: Request, ...context: unknown[]): TTStreamHandlerResult<void>;',
    );
    expect(code).toContain("  EchoUnary: 'TestService.EchoUnary',\n");
    expect(code).toContain("  Notify: 'TestService.Notify',\n");
  });

  it('emits exception classes, their field interfaces and the list of classes', () => {
    const code = generateTypeScript(loadThriftIdl(ECHO_THRIFT));
    expect(code).toContain("import { ThriftException } from 'nestjs-ttstream';");
    expect(code).toContain(
      [
        'export class EchoException extends ThriftException {',
        "  static override readonly thriftName = 'EchoException';",
        '  /** 1: code */',
        '  declare code: number;',
        '  /** 2: message */',
        '  declare message: string;',
        '',
        '  constructor(fields: Partial<EchoExceptionFields> = {}) {',
        '    super(fields);',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(code).toContain(
      'export interface EchoExceptionFields {\n  /** 1: code */\n  code: number;',
    );
    expect(code).toContain('export const ECHO_EXCEPTIONS = [EchoException] as const;');
    expect(generateTypeScript(loadThriftIdl(ECHO_THRIFT), { runtimeImport: './rt.js' })).toContain(
      "import { ThriftException } from './rt.js';",
    );
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
    // Unary and oneway methods, with non-struct parameters and results; exceptions.
    expect(code).toContain('  Plain(request: Everything): Observable<Everything>;');
    expect(code).toContain('  Fire(request: Inner): Observable<void>;');
    expect(code).toContain('  Count(args: { a: string; b: string }): Observable<number>;');
    expect(code).toContain(
      '  Count(args: { a: string; b: string }, ...context: unknown[]): TTStreamHandlerResult<number>;',
    );
    expect(code).toContain('  /** unary: emits the one reply; may fail with Oops */\n  Count(');
    expect(code).toContain('anOops?: OopsFields;');
    expect(code).toContain("static override readonly thriftName = 'Oops';");
    expect(code).toContain('export const ALL_TYPES_EXCEPTIONS = [Oops] as const;');
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

  it('gives the same bytes as the IDL for the echo unary and oneway methods', () => {
    const fromIdl = loadThriftIdl(ECHO_THRIFT);
    const fromGenerated = createIdlFromDocument(ECHO_IDL);
    const req = { message: 'hi', userId: 5n, count: 3 };
    for (const method of ['EchoUnary', 'UnaryWithErr', 'Notify']) {
      const a = unary(fromIdl, 'TestService', method);
      const b = unary(fromGenerated, 'TestService', method);
      expect([b.oneway, b.returnsVoid, b.params.length]).toEqual([a.oneway, a.returnsVoid, 1]);
      expect(b.argsCodec.encode({ req })).toEqual(a.argsCodec.encode({ req }));
      const result = a.returnsVoid ? {} : { success: { message: 'ok', index: 1 } };
      expect(b.resultCodec.encode(result)).toEqual(a.resultCodec.encode(result));
    }
    const err = { err: { code: 42, message: 'declared failure' } };
    const bytes = unary(fromIdl, 'TestService', 'UnaryWithErr').resultCodec.encode(err);
    expect(unary(fromGenerated, 'TestService', 'UnaryWithErr').resultCodec.decode(bytes)).toEqual(
      err,
    );
    expect(unary(fromGenerated, 'TestService', 'Notify').oneway).toBe(true);
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
    const count = { success: 7 };
    expect(unary(fromDocument, 'AllService', 'Count').resultCodec.encode(count)).toEqual(
      unary(fromIdl, 'AllService', 'Count').resultCodec.encode(count),
    );
    const args = { a: 'x', b: 'y' };
    expect(unary(fromDocument, 'AllService', 'Count').argsCodec.encode(args)).toEqual(
      unary(fromIdl, 'AllService', 'Count').argsCodec.encode(args),
    );
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

  // The generated file imports ThriftException from lib/errors here (the package name elsewhere).
  const runtimeImport = '../../lib/errors/index.js';

  function diagnosticsOf(entry: string): string[] {
    const base = ts.readConfigFile(resolve('tsconfig.base.json'), (p) => ts.sys.readFile(p));
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, resolve('.'));
    const program = ts.createProgram([join(dir, entry)], {
      ...parsed.options,
      noEmit: true,
      // lib/ (the ThriftException import) uses Node's globals; the generated code needs none.
      types: ['node'],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it('compiles the all-types output together with code that uses it', () => {
    writeFileSync(
      join(dir, 'all-types.ts'),
      generateTypeScript(loadThriftIdl(ALL_TYPES), { runtimeImport }),
    );
    writeFileSync(
      join(dir, 'use.ts'),
      `import { of, type Observable } from 'rxjs';
import { type TTStreamServiceClient } from '../../lib/client/service-client.type.js';
import { ThriftException } from '../../lib/errors/index.js';
import { exceptionClassMap } from '../../lib/thrift/declared-exception.js';
import {
  ALL_TYPES_EXCEPTIONS, ALL_TYPES_IDL, AllServicePatterns, Color, Oops, type AllServiceClient,
  type AllServiceHandler, type Choice, type Everything, type Inner, type OopsFields, GROUPS,
} from './all-types.js';

const inner: Inner = { label: 'x', flag: false };
const choice: Choice = { text: 'a' };
const color: Color = Color.BLUE;
const oopsFields: OopsFields = { message: 'm', code: 3 };
export const value: Everything = {
  aBool: true, aByte: 1, aI16: 2, aI32: 3, aI64: 4n, aSmallI64: 5, aDouble: 6.5, aString: 's',
  aBinary: new Uint8Array(), aColor: color, aList: [1], aSet: ['a'], aMap: GROUPS,
  anInner: inner, aChoice: choice, anOops: oopsFields, names: [], byId: new Map([[1n, inner]]),
  nested: [new Map([['k', [inner]]])], plainI64: 7,
};
export const fileName: 'all-types.thrift' = ALL_TYPES_IDL.fileName;
export const pattern: 'AllService.Bidi' = AllServicePatterns.Bidi;
export const unaryPattern: 'AllService.Count' = AllServicePatterns.Count;
export function call(client: AllServiceClient): Observable<Everything> {
  return client.ServerSide(value).pipe(() => client.Bidi(of(value)));
}
export function callUnary(client: TTStreamServiceClient<AllServiceClient>): Observable<number> {
  client.Fire(inner, { timeoutMs: 5 }).subscribe();
  client.Plain(value).subscribe();
  return client.Count({ a: 'x', b: 'y' }, { timeoutMs: 5 });
}
const oops = new Oops({ message: 'bad', code: 3 });
export const code: number = oops.code;
export const text: string = oops.message;
export const name: 'Oops' = Oops.thriftName;
export const asBase: ThriftException = oops;
export const classes = exceptionClassMap(ALL_TYPES_EXCEPTIONS);
export class Controller implements AllServiceHandler {
  Ping(request: { logId: string }) { return of({ logId: request.logId }); }
  Bidi(requests: Observable<Everything>, _ctx: { streamId: number }) { return requests; }
  async ClientSide(_requests: Observable<Everything>) { return value; }
  async *ServerSide(request: Everything) { yield request; }
  Plain(request: Everything) { return request; }
  async ExplicitUnary(request: Everything) { return Promise.resolve(request); }
  Fire(_what: Inner) { /* oneway: nothing to return */ }
  Count(args: { a: string; b: string }) {
    if (args.a === '') throw new Oops({ code: 1 });
    return of(args.a.length + args.b.length);
  }
}
`,
    );
    expect(diagnosticsOf('use.ts')).toEqual([]);
  });

  it('compiles exception fields that clash with Error and RpcException members', () => {
    const idl = parseThriftIdl(
      `exception Clash {
  1: i32 name
  2: optional string message
  3: string error
  4: i64 stack
  5: string cause
  6: string thriftName
  7: string getError
}
exception Empty {}
struct Holder { 1: Clash clash, 2: optional Empty empty }
service S { void M(1: Holder h) throws (1: Clash c, 2: Empty e) }
`,
      { fileName: 'clash.thrift' },
    );
    const code = generateTypeScript(idl, { runtimeImport });
    // Only fields that fit ThriftException's members are declared on the class.
    expect(code).toContain('  declare message: string;');
    expect(code).toContain('  declare cause: string;');
    expect(code).not.toMatch(/declare (name|error|stack|thriftName|getError)\b/);
    writeFileSync(join(dir, 'clash.ts'), code);
    writeFileSync(
      join(dir, 'use-clash.ts'),
      `import { Clash, CLASH_EXCEPTIONS, Empty, type ClashFields } from './clash.js';
const fields: ClashFields = { name: 1, error: 'e', stack: 2n, cause: 'c', thriftName: 't', getError: 'g' };
export const clash = new Clash(fields);
export const message: string = clash.message;
export const empty = new Empty();
export const all = CLASH_EXCEPTIONS;
`,
    );
    expect(diagnosticsOf('use-clash.ts')).toEqual([]);
  });
});
