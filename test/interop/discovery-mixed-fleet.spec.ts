/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
/**
 * A mixed fleet behind a real etcd: two Kitex (Go) servers registered by kitex-contrib
 * registry-etcd v0.3.0 and two Nest servers registered by our `EtcdRegistry`, all as service
 * `echo` with distinct weights. A Kitex client (registry-etcd's resolver, Kitex's default weighted
 * round robin; the `fleet_unary` scenario) and our client (`EtcdResolver`, our smooth weighted
 * round robin) each make 10,000 EchoUnary calls at the same time. Every instance counts, per
 * client, the calls it served (the Go servers in their `unary_end` event log, the Nest servers in
 * an interceptor); each client's share of each instance must be within 10% of weight / total.
 */
import 'reflect-metadata';
import {
  type CallHandler,
  type ExecutionContext,
  type INestMicroservice,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Etcd3 } from 'etcd3';
import { firstValueFrom, type Observable } from 'rxjs';
import { EtcdRegistry } from '../../lib/discovery/etcd/etcd-registry.js';
import { EtcdResolver } from '../../lib/discovery/etcd/etcd-resolver.js';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamClient, TTStreamExceptionFilter, TTStreamServer } from '../../lib/index.js';
import type { Request, Response } from '../../sample/generated/echo.js';
import { ECHO_IDL_FILE } from '../../sample/package-root.js';
import { EchoServerModule } from '../../sample/server/app.module.js';
import { describeEtcd, eventually, rawEtcd } from '../helpers/etcd-fixture.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import {
  runScenario,
  startKitexServer,
  type KitexServer,
  type KitexServerEvent,
} from './support/peer.js';

// The generated Go client's destination service is "echo"; every instance registers as that.
const SERVICE = 'echo';
const PREFIX = `kitex/registry-etcd/${SERVICE}/`;
/** Calls per client. */
const CALLS = 10_000;
/** Calls in flight per client. */
const CONCURRENCY = 32;
/** Allowed deviation of a share from weight / total, relative to it. */
const TOLERANCE = 0.1;
/** Each Node call's own deadline, so that a lost reply fails the test instead of hanging it. */
const CALL_TIMEOUT_MS = 20_000;

/** The clients, told apart by the message prefix of their requests. */
const CLIENTS = ['go', 'node'] as const;
type ClientName = (typeof CLIENTS)[number];

/** Calls served by one instance, per client. */
type Served = Record<ClientName, number>;

/** Which client a request came from (`go-<i>` / `node-<i>`). */
function clientOf(message: string | undefined): ClientName | undefined {
  return CLIENTS.find((name) => message?.startsWith(`${name}-`) === true);
}

/** Counts the EchoUnary calls that reached this app's handler, per client. */
class CountingInterceptor implements NestInterceptor {
  readonly served: Served = { go: 0, node: 0 };

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getHandler().name === 'EchoUnary') {
      const name = clientOf(context.switchToRpc().getData<Request>().message);
      if (name !== undefined) this.served[name]++;
    }
    return next.handle();
  }
}

/** One instance of the fleet: where it listens, its weight, and what it served so far. */
interface Instance {
  readonly label: string;
  readonly address: string;
  readonly weight: number;
  served(): Served;
}

/** Starts the sample TestService as a Nest app registered in etcd with `weight`. */
async function startNestInstance(
  endpoint: string,
  weight: number,
): Promise<{ app: INestMicroservice; instance: Instance }> {
  const counter = new CountingInterceptor();
  const server = new TTStreamServer({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    host: '127.0.0.1',
    port: 0,
    registry: {
      registry: new EtcdRegistry({ endpoints: [endpoint], env: {} }),
      serviceName: SERVICE,
      weight,
      required: true,
    },
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
    strategy: server,
    logger: false,
  });
  app.useGlobalFilters(new TTStreamExceptionFilter());
  app.useGlobalInterceptors(counter);
  await app.listen();
  const bound = server.address();
  if (bound === undefined) throw new Error('the Nest instance is not listening');
  return {
    app,
    instance: {
      label: `node w${weight}`,
      address: `127.0.0.1:${bound.port}`,
      weight,
      served: () => ({ ...counter.served }),
    },
  };
}

/** A unary call's event in the Go server's log: what its handler saw. */
interface UnaryEnd extends KitexServerEvent {
  readonly message?: string;
}

/** The successful EchoUnary calls in a Go server's event log, per client. */
function goServed(kitex: KitexServer): Served {
  const served: Served = { go: 0, node: 0 };
  for (const e of kitex.events as readonly UnaryEnd[]) {
    if (e.event !== 'unary_end' || e.method !== 'EchoUnary' || (e.err ?? '') !== '') continue;
    const name = clientOf(e.message);
    if (name !== undefined) served[name]++;
  }
  return served;
}

/** CALLS EchoUnary calls `node-<i>` from our client, CONCURRENCY in flight; returns the successes. */
async function nodeLoad(client: TTStreamClient): Promise<{ ok: number; errors: string[] }> {
  let issued = 0;
  let ok = 0;
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (issued < CALLS) {
      const i = issued++;
      const message = `node-${i}`;
      try {
        const reply = await firstValueFrom(
          client.send<Response>(
            'TestService.EchoUnary',
            { message, userId: 1n, count: i },
            { timeoutMs: CALL_TIMEOUT_MS },
          ),
        );
        if (reply.message === message && reply.index === i) ok++;
        else errors.push(`call ${i}: reply ${JSON.stringify(reply)}`);
      } catch (error) {
        errors.push(`call ${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok, errors: errors.slice(0, 5) };
}

describeEtcd('a mixed fleet (2 Kitex + 2 Nest instances of one service) behind etcd', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  const kitexServers: KitexServer[] = [];
  const apps: INestMicroservice[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = rawEtcd(etcd.endpoint);
    // Distinct weights, so that every instance's share differs: 10 %, 20 %, 30 %, 40 %.
    for (const weight of [10, 30]) {
      const kitex = await startKitexServer([
        '-etcd',
        etcd.endpoint,
        '-etcd-service',
        SERVICE,
        '-etcd-weight',
        String(weight),
      ]);
      kitexServers.push(kitex);
      instances.push({
        label: `go w${weight}`,
        address: kitex.address,
        weight,
        served: () => goServed(kitex),
      });
    }
    for (const weight of [20, 40]) {
      const { app, instance } = await startNestInstance(etcd.endpoint, weight);
      apps.push(app);
      instances.push(instance);
    }
  }, 60_000);

  afterAll(async () => {
    try {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(kitexServers.map((kitex) => kitex.stop()));
    } finally {
      raw.close();
      await etcd.dispose();
    }
  });

  it('a Kitex client and our client each spread 10,000 calls over the four in proportion to their weights', async () => {
    // All four records are in etcd, with their weights, before either client resolves.
    await eventually(
      async () => (await raw.getAll().prefix(PREFIX).keys()).length === instances.length,
      'the four instances registered',
      15_000,
    );
    const records = await raw.getAll().prefix(PREFIX).strings();
    expect(
      Object.entries(records)
        .map(([key, value]) => [key, (JSON.parse(value) as { weight: number }).weight])
        .sort(),
    ).toEqual(instances.map((i) => [`${PREFIX}${i.address}`, i.weight]).sort());

    const client = new TTStreamClient({
      idl: ECHO_IDL_FILE,
      service: SERVICE,
      resolver: new EtcdResolver({ endpoints: [etcd.endpoint] }),
      serviceName: 'node-client',
      logger: false,
    });
    try {
      // Both clients at once; -addr points at a closed port: only etcd leads the Go client on.
      const [verdict, node] = await Promise.all([
        runScenario(
          '127.0.0.1:1',
          'fleet_unary',
          {
            etcd: etcd.endpoint,
            calls: CALLS,
            concurrency: CONCURRENCY,
            message: 'go',
            timeout: '55s',
            guard: '58s',
          },
          60_000,
        ),
        nodeLoad(client),
      ]);

      // Every call of both clients succeeded with its own reply.
      const extra = verdict.extra as { ok: number; failed: number; first_errors: string[] | null };
      expect({
        ok: verdict.ok,
        problems: verdict.problems,
        goOk: extra.ok,
        goErrors: extra.first_errors ?? [],
        nodeOk: node.ok,
        nodeErrors: node.errors,
      }).toEqual({
        ok: true,
        problems: [],
        goOk: CALLS,
        goErrors: [],
        nodeOk: CALLS,
        nodeErrors: [],
      });

      // The Go servers write a call's unary_end before its reply; their stdout may still be in
      // the pipe. Then every call was served exactly once, by one of the four.
      const total = (client: ClientName): number =>
        instances.reduce((sum, i) => sum + i.served()[client], 0);
      await eventually(
        () => total('go') >= CALLS && total('node') >= CALLS,
        'every call counted by its server',
        10_000,
      );
      expect({ go: total('go'), node: total('node') }).toEqual({ go: CALLS, node: CALLS });

      // Kitex's own picks (its balancer's choice per call) are what the servers counted.
      const byAddress = (verdict.extra as { by_address: Record<string, number> }).by_address;
      expect(byAddress).toEqual(
        Object.fromEntries(instances.map((i) => [i.address, i.served().go])),
      );

      // Each client's share of each instance is its weight's share, within 10 %.
      const weightSum = instances.reduce((sum, i) => sum + i.weight, 0);
      for (const name of CLIENTS) {
        const shares = instances.map((i) => {
          const want = i.weight / weightSum;
          const got = i.served()[name] / CALLS;
          return { instance: i.label, want, got, within: Math.abs(got - want) <= want * TOLERANCE };
        });
        expect({ client: name, shares }).toEqual({
          client: name,
          shares: shares.map((s) => ({ ...s, within: true })),
        });
      }
    } finally {
      await client.close();
    }
  }, 120_000);
});
