/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
/**
 * One trace across Kitex (Go, kitex-contrib obs-opentelemetry v0.3.0) and our Nest transport
 * (issue 14). The Go peer runs with `-otel-stdout <file>` (obs-opentelemetry's client/server
 * suite, spans as JSON lines, W3C trace context + baggage propagator); our side registers the
 * OpenTelemetry SDK globally with an in-memory exporter and uses the transport's default
 * `telemetry: 'auto'`.
 *
 * - A (Kitex client) -> B (our TTStreamServer, whose handlers call C with our TTStreamClient)
 *   -> C (Kitex server): one trace id, parents A.client <- B.server <- B.client <- C.server.
 * - Our TTStreamClient -> C: C's server span is the child of our client span.
 * Streaming (bidi, server streaming) and unary each way.
 */
import 'reflect-metadata';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, type MicroserviceOptions, Payload } from '@nestjs/microservices';
import { defer, lastValueFrom, type Observable, toArray } from 'rxjs';
import {
  StreamPattern,
  type TTStreamCallOptions,
  TTStreamClient,
  type TTStreamContext,
  TTStreamExceptionFilter,
  TTStreamServer,
} from '../../lib/index.js';
import type { Request, Response } from '../../sample/generated/echo.js';
import {
  type ClientFlags,
  eventually,
  GO_SPAN_KIND,
  type GoSpan,
  goSpanAttributes,
  type KitexServer,
  readGoSpans,
  runScenario,
  splitHostPort,
  startKitexServer,
  startTap,
  type TapRecord,
  tempDir,
  type Verdict,
} from './support/peer.js';
import { registerTestTracing, type GlobalTestTracing } from '../helpers/otel-tracing.js';

const IDL = 'sample/idl/echo.thrift';
const ROOT_SPAN_ID = '0000000000000000';

let tracing: GlobalTestTracing;
let dir: string;
let cSpanFile: string;
let c: KitexServer;
/** B's client to C (used by the relay controller). */
let toC: TTStreamClient;
let b: INestMicroservice;
let bAddress: string;
/** The reverse direction: our client (service name `R`) straight to C. */
let rev: TTStreamClient;

/** Sets `x-handler` and `x-sent` as the reference TestService does (the Go verdicts check them). */
function referenceMetadata<T>(ctx: TTStreamContext, source: () => Observable<T>): Observable<T> {
  return defer(() => {
    ctx.setHeader('x-handler', ctx.getPattern());
    ctx.setTrailer('x-sent', '0');
    ctx.onFinish(() => {
      ctx.setTrailer('x-sent', String(ctx.getSentMessages()));
    });
    return source();
  });
}

/** B: every handler calls C with our client, inside the handler (so under B's server span). */
@Controller()
class RelayController {
  @MessagePattern('TestService.EchoUnary')
  async EchoUnary(@Payload() req: Request): Promise<Response> {
    return lastValueFrom(toC.send<Response>('TestService.EchoUnary', req));
  }

  @MessagePattern('TestService.UnaryWithErr')
  async UnaryWithErr(@Payload() req: Request): Promise<Response> {
    return lastValueFrom(toC.send<Response>('TestService.UnaryWithErr', req));
  }

  @StreamPattern('TestService.Echo')
  Echo(
    @Payload() requests: Observable<Request>,
    @Ctx() ctx: TTStreamContext,
  ): Observable<Response> {
    return referenceMetadata(ctx, () =>
      toC.bidiStream<Request, Response>('TestService.Echo', requests),
    );
  }

  @StreamPattern('TestService.EchoServer')
  EchoServer(@Payload() req: Request, @Ctx() ctx: TTStreamContext): Observable<Response> {
    return referenceMetadata(ctx, () =>
      toC.serverStream<Request, Response>('TestService.EchoServer', req),
    );
  }

  @StreamPattern('TestService.ServerStreamWithErr')
  ServerStreamWithErr(@Payload() req: Request, @Ctx() ctx: TTStreamContext): Observable<Response> {
    return referenceMetadata(ctx, () =>
      toC.serverStream<Request, Response>('TestService.ServerStreamWithErr', req),
    );
  }
}

@Module({ controllers: [RelayController] })
class RelayModule {}

beforeAll(async () => {
  tracing = registerTestTracing();
  dir = tempDir('ttstream-otel-');
  cSpanFile = join(dir, 'c.jsonl');
  c = await startKitexServer(['-otel-stdout', cSpanFile, '-service-name', 'C']);
  toC = new TTStreamClient({ idl: IDL, host: c.host, port: c.port, serviceName: 'B' });
  rev = new TTStreamClient({ idl: IDL, host: c.host, port: c.port, serviceName: 'R' });
  const server = new TTStreamServer({ idl: IDL, host: '127.0.0.1', port: 0 });
  b = await NestFactory.createMicroservice<MicroserviceOptions>(RelayModule, {
    strategy: server,
    logger: false,
  });
  b.useGlobalFilters(new TTStreamExceptionFilter());
  await b.listen();
  const bound = server.address();
  if (bound === undefined) throw new Error('B is not listening');
  bAddress = `127.0.0.1:${bound.port}`;
});

afterAll(async () => {
  // Each may be undefined when beforeAll failed part-way.
  await (b as INestMicroservice | undefined)?.close();
  const dump = process.env['OTEL_DUMP'];
  if (dump !== undefined && dump !== '') {
    // Debugging aid: OTEL_DUMP=<dir> keeps every span file, ours as ours.json.
    cpSync(dir, dump, { recursive: true });
    const ours = tracing.exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parent: s.parentSpanContext?.spanId,
      attributes: s.attributes,
      status: s.status,
      events: s.events,
    }));
    writeFileSync(join(dump, 'ours.json'), JSON.stringify(ours, null, 1));
  }
  await Promise.all([
    (toC as TTStreamClient | undefined)?.close(),
    (rev as TTStreamClient | undefined)?.close(),
  ]);
  await (c as KitexServer | undefined)?.stop();
  await (tracing as GlobalTestTracing | undefined)?.dispose();
  if ((dir as string | undefined) !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Our finished spans of `traceId`. */
function ourSpans(traceId: string): ReadableSpan[] {
  return tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

/** C's finished spans of `traceId`. */
function cSpans(traceId: string): GoSpan[] {
  return readGoSpans(cSpanFile).filter((s) => s.SpanContext.TraceID === traceId);
}

function only<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, got ${items.length}`);
  return items[0] as T;
}

/** Waits until our side has `ours` spans and C has one span in `traceId`. */
async function settled(traceId: string, ours: number): Promise<void> {
  await eventually(
    () => ourSpans(traceId).length >= ours && cSpans(traceId).length >= 1,
    `${ours} of our spans and C's span in trace ${traceId}; ours: ${JSON.stringify(
      tracing.exporter.getFinishedSpans().map((s) => s.name),
    )}`,
  );
}

/** The Kitex client's scenario for each method, and the names Kitex gives its spans. */
const CHAIN_CASES = [
  // A ttstream server span has no package name (Kitex's ttstream server never sets it).
  { scenario: 'echo_bidi', method: 'Echo', cServerName: 'TestService/Echo', stream: true },
  {
    scenario: 'echo_server',
    method: 'EchoServer',
    cServerName: 'TestService/EchoServer',
    stream: true,
  },
  {
    scenario: 'unary_echo',
    method: 'EchoUnary',
    cServerName: 'echo.TestService/EchoUnary',
    stream: false,
  },
] as const;

/** The four spans of one A -> B -> C call, checked to form one chain of parents. */
interface Chain {
  readonly a: GoSpan;
  readonly bServer: ReadableSpan;
  readonly bClient: ReadableSpan;
  readonly cServer: GoSpan;
  readonly verdict: Verdict;
}

/**
 * Runs `scenario` at A against B (through `via`, default B itself) with A tracing, and returns the
 * spans once all four have ended, after checking that they form one trace with the parents
 * A.client <- B.server <- B.client <- C.server and one span per call or stream on each side.
 */
async function chain(scenario: string, flags: ClientFlags = {}, via = bAddress): Promise<Chain> {
  const aFile = join(dir, `a-${scenario}-${Date.now()}.jsonl`);
  // obs-opentelemetry's client suite ORs TTHeader into Kitex's unary default (Framed): tell the
  // scenario so, so that its verdict expects what a TTHeader reply carries (business errors).
  const verdict = await runScenario(via, scenario, {
    count: 2,
    transport: 'ttheader-framed',
    ...flags,
    'otel-stdout': aFile,
  });
  // A: one root CLIENT span.
  const a = only(readGoSpans(aFile), "A's span");
  expect(a.SpanKind).toBe(GO_SPAN_KIND.client);
  expect(a.Parent.SpanID).toBe(ROOT_SPAN_ID);
  const traceId = a.SpanContext.TraceID;

  await settled(traceId, 2);
  const ours = ourSpans(traceId);
  expect(ours).toHaveLength(2);
  const bServer = only(
    ours.filter((s) => s.kind === SpanKind.SERVER),
    "B's server span",
  );
  const bClient = only(
    ours.filter((s) => s.kind === SpanKind.CLIENT),
    "B's client span",
  );
  const cServer = only(cSpans(traceId), "C's span");
  expect(cServer.SpanKind).toBe(GO_SPAN_KIND.server);

  expect(bServer.parentSpanContext).toMatchObject({
    traceId,
    spanId: a.SpanContext.SpanID,
    isRemote: true,
  });
  expect(bClient.parentSpanContext?.spanId).toBe(bServer.spanContext().spanId);
  expect(cServer.Parent).toMatchObject({
    TraceID: traceId,
    SpanID: bClient.spanContext().spanId,
    Remote: true,
  });
  return { a, bServer, bClient, cServer, verdict };
}

describe('A (Kitex client) -> B (our Nest server, calling C with our client) -> C (Kitex server)', () => {
  it.each(CHAIN_CASES)(
    '$scenario: one trace, parents A.client <- B.server <- B.client <- C.server',
    async ({ scenario, method, cServerName, stream }) => {
      const { a, bServer, bClient, cServer, verdict } = await chain(scenario);
      expect(verdict.problems).toEqual([]);
      // Kitex names a client span <pkg>.<IDL service>/<method>.
      expect(a.Name).toBe(`echo.TestService/${method}`);
      expect(cServer.Name).toBe(cServerName);
      // Attributes as obs-opentelemetry's; success leaves every status unset, as in Kitex.
      for (const span of [bServer, bClient]) {
        // Ours as Kitex's client (and ping-pong server) name theirs, package included.
        expect(span.name).toBe(`echo.TestService/${method}`);
        expect(span.attributes).toMatchObject({ 'rpc.system': 'kitex', 'rpc.method': method });
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
      }
      // A is B's caller: Kitex's client sent its resource's service.name.
      expect(bServer.attributes['peer.service']).toBe('A');
      expect(goSpanAttributes(cServer)).toMatchObject({
        'rpc.system': 'kitex',
        'rpc.method': method,
        'rpc.service': 'C',
        'request.protocol': stream ? 'TTHeaderStreaming' : 'TTHeader',
      });
      expect(goSpanAttributes(a)).toMatchObject({ 'rpc.system': 'kitex', 'rpc.method': method });
      expect([a.Status.Code, cServer.Status.Code]).toEqual(['Unset', 'Unset']);
    },
  );

  it.each([
    ['server_stream_biz_error', 'ServerStreamWithErr'],
    ['unary_biz_error', 'UnaryWithErr'],
  ])(
    '%s: the business error from C crosses B; no span is an error (as in Kitex), ours carry the code',
    async (scenario, method) => {
      const { a, bServer, bClient, cServer, verdict } = await chain(scenario, { count: 1 });
      expect(verdict.problems).toEqual([]);
      expect(verdict.error?.biz?.code).toBe(10001);
      expect([a.Status.Code, cServer.Status.Code]).toEqual(['Unset', 'Unset']);
      for (const span of [bServer, bClient]) {
        expect(span.name).toBe(`echo.TestService/${method}`);
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        expect(span.attributes).toMatchObject({
          'kitex.biz_status_code': 10001,
          'kitex.biz_message': 'insufficient user balance',
        });
      }
    },
  );

  it.each([
    ['server_stream_plain_error', 'ServerStreamWithErr'],
    ['unary_plain_error', 'UnaryWithErr'],
  ])('%s: a handler error at C fails every span of the chain', async (scenario, method) => {
    const { a, bServer, bClient, cServer, verdict } = await chain(scenario);
    expect(verdict.error).not.toBeNull();
    for (const span of [bServer, bClient]) {
      expect(span.name).toBe(`echo.TestService/${method}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.events.map((e) => e.name)).toContain('exception');
    }
    expect(a.Status.Code).toBe('Error');
    expect(cServer.Status).toEqual({ Code: 'Error', Description: 'biz error: test error' });
    expect(cServer.Events?.map((e) => e.Name)).toContain('exception');
  });

  it('cancel_bidi_mid_stream at A: one trace, every span fails; B’s server span names the cancel (12007, path A)', async () => {
    const { a, bServer, bClient, cServer, verdict } = await chain('cancel_bidi_mid_stream');
    expect(verdict.problems).toEqual([]);
    expect(verdict.error?.code).toBe(12007);
    expect(a.Status).toMatchObject({ Code: 'Error' });
    expect(a.Status.Description).toContain('code=12007');
    expect(cServer.Status).toMatchObject({ Code: 'Error' });
    expect(cServer.Status.Description).toContain('code=12007');
    expect(bServer.status.code).toBe(SpanStatusCode.ERROR);
    expect(bServer.attributes).toMatchObject({
      'kitex.error_code': 12007,
      'kitex.canceled_path': ['A'],
    });
    // B's call to C ends when Nest unsubscribes from the handler's Observable.
    expect(bClient.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('on the wire, A sends the trace context and its name as RPC_TRANSIT_ keys; B’s client sends the same keys to C', async () => {
    const tap = await startTap(bAddress);
    const tapToC = await startTap(c.address);
    const viaTap = new TTStreamClient({
      idl: IDL,
      host: '127.0.0.1',
      port: Number(splitHostPort(tapToC.address)[1]),
      serviceName: 'B',
    });
    const saved = toC;
    toC = viaTap;
    try {
      const { a, bClient } = await chain('echo_bidi', {}, tap.address);
      const fromA = transitKeys(tap.frames());
      const fromB = transitKeys(tapToC.frames());
      expect(fromA).toEqual({
        'RPC_TRANSIT_service.name': 'A',
        RPC_TRANSIT_traceparent: `00-${a.SpanContext.TraceID}-${a.SpanContext.SpanID}-01`,
      });
      expect(Object.keys(fromB).sort()).toEqual(Object.keys(fromA).sort());
      expect(fromB['RPC_TRANSIT_traceparent']).toBe(
        `00-${a.SpanContext.TraceID}-${bClient.spanContext().spanId}-01`,
      );
    } finally {
      toC = saved;
      await viaTap.close();
      await Promise.all([tap.stop(), tapToC.stop()]);
    }
  });
});

/** The `RPC_TRANSIT_` string keys of the one client HEADER frame among `frames`. */
function transitKeys(frames: readonly TapRecord[]): Record<string, string> {
  const header = only(
    frames.filter((f) => f.dir === 'c2s' && f.type_name === 'HEADER'),
    'client HEADER frame',
  );
  return Object.fromEntries(
    Object.entries(header.str ?? {}).filter(([k]) => k.startsWith('RPC_TRANSIT_')),
  );
}

/** Calls C with our client `rev` for `method`, and returns the responses. */
function callC(method: string, options: TTStreamCallOptions = {}): Promise<Response[]> {
  const req: Request = { message: 'hi', userId: 0n, count: 2 };
  switch (method) {
    case 'Echo':
      return lastValueFrom(
        rev.bidiStream<Request, Response>('TestService.Echo', [req, req], options).pipe(toArray()),
      );
    case 'EchoServer':
      return lastValueFrom(
        rev.serverStream<Request, Response>('TestService.EchoServer', req, options).pipe(toArray()),
      );
    default:
      return lastValueFrom(
        rev.send<Response>('TestService.EchoUnary', req, options).pipe(toArray()),
      );
  }
}

describe('our Nest client -> Kitex server', () => {
  it.each(CHAIN_CASES)(
    '$method: C’s server span is the child of our client span',
    async ({ method, cServerName }) => {
      const got = await callC(method);
      expect(got).toHaveLength(method === 'EchoUnary' ? 1 : 2);
      const client = tracing.exporter
        .getFinishedSpans()
        .filter(
          (s) =>
            s.kind === SpanKind.CLIENT &&
            s.name.endsWith(`TestService/${method}`) &&
            s.parentSpanContext === undefined,
        )
        .at(-1);
      if (client === undefined) throw new Error(`no root client span for ${method}`);
      const traceId = client.spanContext().traceId;
      await settled(traceId, 1);
      const cServer = only(cSpans(traceId), "C's span");
      expect(cServer.Name).toBe(cServerName);
      expect(cServer.Parent).toMatchObject({
        TraceID: traceId,
        SpanID: client.spanContext().spanId,
        Remote: true,
      });
    },
  );

  it.each(['Echo', 'EchoUnary'])(
    '%s under an active span with baggage: joins its trace; Kitex sees traceparent, baggage and our name as transient metainfo',
    async (method) => {
      const tracer = trace.getTracer('interop-test');
      const root = tracer.startSpan('test-root');
      const withBaggage = propagation.setBaggage(
        trace.setSpan(context.active(), root),
        propagation.createBaggage({ tenant: { value: 't1' } }),
      );
      const headers: Record<string, string>[] = [];
      await context.with(withBaggage, () =>
        callC(method, {
          onHeader: (h) => {
            headers.push({ ...h });
          },
        }),
      );
      root.end();
      const traceId = root.spanContext().traceId;
      await settled(traceId, 2);
      const client = only(
        ourSpans(traceId).filter((s) => s.kind === SpanKind.CLIENT),
        'client span',
      );
      expect(client.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(only(cSpans(traceId), "C's span").Parent.SpanID).toBe(client.spanContext().spanId);
      // C's handler echoes the metainfo it got (x-metainfo: a stream HEADER key, or a backward
      // value of the unary reply).
      const seen = JSON.parse(only(headers, 'server header')['x-metainfo'] ?? '{}') as {
        transient?: Record<string, string>;
      };
      expect(seen.transient).toEqual({
        traceparent: `00-${traceId}-${client.spanContext().spanId}-01`,
        baggage: 'tenant=t1',
        'service.name': expect.any(String),
      });
    },
  );
});
