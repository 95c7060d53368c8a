import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ClientsModule, Payload } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { concat, ignoreElements, type Observable, of, Subject, take, throwError } from 'rxjs';
import {
  BizStatusError,
  StreamPattern,
  TTStreamClient,
  type TTStreamClientHealthOptions,
  TTStreamHealthIndicator,
  TTStreamServer,
  type TTStreamServerStatus,
  type TTStreamServerTransport,
} from '../../../lib/index.js';
import { closedPort } from '../../helpers/closed-port.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';
import { clientFor, echoIdl, request, type ServerApp, startServerApp } from './harness.js';

interface Req {
  message: string;
  count: number;
}

/** Releases the streams the handlers hold (count -1 or -2). */
let release = new Subject<void>();

@Controller()
class ProbedController {
  /** One reply (count 0); one reply then held (-1); held without a reply (-2). */
  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload() req: Req): Observable<unknown> {
    const held = release.pipe(take(1), ignoreElements());
    const reply = of({ message: req.message, index: 0 });
    if (req.count === -1) return concat(reply, held);
    if (req.count === -2) return held;
    return reply;
  }

  @StreamPattern('TestService.ServerStreamWithErr')
  failing(): Observable<unknown> {
    return throwError(() => new BizStatusError(10001, 'not ready'));
  }
}

const SERVER = Symbol('TTSTREAM_SERVER');
const ECHO = 'ECHO';

/** What an app's health controller would hold; called directly (no HTTP platform needed). */
@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(TTStreamHealthIndicator) private readonly ttstream: TTStreamHealthIndicator,
    @Inject(SERVER) private readonly server: TTStreamServer,
    @Inject(ECHO) private readonly echo: TTStreamClient,
  ) {}

  ready() {
    return this.health.check([() => this.ttstream.isServerHealthy('ttstream', this.server)]);
  }

  echoReachable(options?: TTStreamClientHealthOptions) {
    return this.health.check([() => this.ttstream.isClientHealthy('echo', this.echo, options)]);
  }
}

async function healthModule(server: TTStreamServer, port: number): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      ClientsModule.register([
        {
          name: ECHO,
          customClass: TTStreamClient,
          options: { idl: echoIdl, port, logger: false, transportOptions: { poolSize: 1 } },
        },
      ]),
    ],
    controllers: [HealthController],
    providers: [TTStreamHealthIndicator, { provide: SERVER, useValue: server }],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** The 503 a failing check throws, and the result it carries. */
async function unavailable(check: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await rejectionOf(check);
  expect(error).toBeInstanceOf(ServiceUnavailableException);
  expect((error as ServiceUnavailableException).getStatus()).toBe(503);
  return (error as ServiceUnavailableException).getResponse() as Record<string, unknown>;
}

describe('TTStreamHealthIndicator with @nestjs/terminus HealthCheckService', () => {
  let s: ServerApp | undefined;
  let health: TestingModule | undefined;
  let controller: HealthController;
  const start = async (): Promise<ServerApp> => {
    release = new Subject<void>();
    s = await startServerApp({ controllers: [ProbedController] });
    health = await healthModule(s.server, s.port);
    controller = health.get(HealthController);
    return s;
  };
  afterEach(async () => {
    release.next();
    await health?.close();
    health = undefined;
    await s?.app.close();
    s = undefined;
  });

  it('server: up while listening, with its address', async () => {
    const app = await start();
    await expect(controller.ready()).resolves.toMatchObject({
      status: 'ok',
      info: { ttstream: { status: 'up', state: 'listening', address: `127.0.0.1:${app.port}` } },
      error: {},
    });
  });

  it('server: down (503) while draining, then closed', async () => {
    const app = await start();
    const statuses: TTStreamServerStatus[] = [];
    app.server.status.subscribe((status) => statuses.push(status));
    const client = clientFor(app.port, { logger: false });
    try {
      const first = new Subject<void>();
      client.serverStream('TestService.EchoServer', request('held', -1)).subscribe({
        next: () => {
          first.next();
        },
        error: () => undefined,
      });
      await new Promise<void>((done) =>
        first.pipe(take(1)).subscribe(() => {
          done();
        }),
      );
      const closing = app.app.close();
      s = undefined;
      await waitFor(() => statuses.includes('closing'), 'the server draining');
      const draining = await unavailable(controller.ready());
      expect(draining).toMatchObject({
        status: 'error',
        error: { ttstream: { status: 'down', state: 'draining' } },
      });
      release.next();
      await closing;
      const closed = await unavailable(controller.ready());
      expect(closed).toMatchObject({ error: { ttstream: { status: 'down', state: 'closed' } } });
      // Its clients now find nothing to dial.
      const echo = await unavailable(controller.echoReachable());
      expect(echo).toMatchObject({ error: { echo: { status: 'down', code: 12006 } } });
    } finally {
      await client.close();
    }
  });

  it('server: down before listen()', async () => {
    const indicator = new TTStreamHealthIndicator();
    const server = new TTStreamServer({ idl: echoIdl, port: 0 });
    await expect(indicator.isServerHealthy('ttstream', server)).resolves.toEqual({
      ttstream: {
        status: 'down',
        state: 'not-started',
        message: 'TTStreamServer is not listening',
      },
    });
  });

  it('client: up after a dial, and after a dial plus a call', async () => {
    await start();
    await expect(controller.echoReachable()).resolves.toMatchObject({
      status: 'ok',
      info: { echo: { status: 'up' } },
    });
    await expect(
      controller.echoReachable({
        pattern: 'TestService.EchoServer',
        request: request('ping'),
        timeoutMs: 2000,
      }),
    ).resolves.toMatchObject({
      status: 'ok',
      info: { echo: { status: 'up', pattern: 'TestService.EchoServer' } },
    });
  });

  it('client: down (503) with message and code when the probe call fails', async () => {
    await start();
    const biz = await unavailable(
      controller.echoReachable({
        pattern: 'TestService.ServerStreamWithErr',
        request: request('x'),
      }),
    );
    expect(biz).toMatchObject({
      error: {
        echo: { status: 'down', message: 'biz error: code=10001, msg=not ready', code: 10001 },
      },
    });
    // No handler for the bidi Echo: the server answers UnknownMethod.
    const unknown = await unavailable(
      controller.echoReachable({ pattern: 'TestService.Echo', request: request('x') }),
    );
    expect(unknown).toMatchObject({ error: { echo: { status: 'down', code: 12001, typeId: 1 } } });
  });

  it('client: down when the probe call does not answer in time; the stream is cancelled', async () => {
    const app = await start();
    const result = await unavailable(
      controller.echoReachable({
        pattern: 'TestService.EchoServer',
        request: request('silent', -2),
        timeoutMs: 200,
      }),
    );
    expect(result).toMatchObject({
      error: { echo: { status: 'down', message: 'health check timed out after 200ms' } },
    });
    const transport = app.server.unwrap<TTStreamServerTransport>();
    await waitFor(() => transport.stats().streams === 0, 'the probe stream cancelled');
  });

  it('client: down (503) with 12006 when its server is unreachable', async () => {
    const port = await closedPort();
    const server = new TTStreamServer({ idl: echoIdl, port: 0 });
    health = await healthModule(server, port);
    controller = health.get(HealthController);
    const result = await unavailable(controller.echoReachable({ timeoutMs: 500 }));
    const detail = (result.error as Record<string, Record<string, unknown>>).echo!;
    expect(detail).toMatchObject({ status: 'down', code: 12006 });
    expect(detail.message).toMatch(
      new RegExp(`dial tcp 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
    );
  });
});

describe('@nestjs/terminus stays optional', () => {
  it('no file under lib/ imports it', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) files.push(path);
      }
    };
    walk(resolve(process.cwd(), 'lib'));
    expect(files.length).toBeGreaterThan(10);
    const importing = files.filter((f) => readFileSync(f, 'utf8').includes("'@nestjs/terminus'"));
    expect(importing).toEqual([]);
  });
});
