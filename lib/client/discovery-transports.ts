import type { ThriftExceptionClass } from '../errors/index.js';
import type { TTStreamLog } from '../logging/ttstream-logger.js';
import { PingPongClientTransport, TTStreamClientTransport } from '../transport/index.js';
import { BalancedPingPongTransport } from './balanced-pingpong-transport.js';
import { BalancedStreamTransport } from './balanced-stream-transport.js';
import { BalancedTarget } from './balanced-target.js';
import type { TTStreamClientOptions } from './ttstream-client-options.interface.js';

/** The two transports of a client that finds its server through a resolver. @internal */
export interface BalancedTransports {
  readonly stream: BalancedStreamTransport;
  readonly pingPong: BalancedPingPongTransport;
}

/**
 * Checks the `service` / `resolver` options of a client.
 * @throws TypeError when only one of them is given, or together with `host` / `port`.
 * @internal
 */
export function checkDiscoveryOptions(options: TTStreamClientOptions): void {
  const { service, resolver } = options;
  if (service === undefined && resolver === undefined) return;
  if (typeof service !== 'string' || service === '' || typeof resolver?.resolve !== 'function') {
    throw new TypeError('TTStreamClient: options.service and options.resolver go together');
  }
  if (options.host !== undefined || options.port !== undefined) {
    throw new TypeError('TTStreamClient: give either host/port or service/resolver, not both');
  }
}

/** True when the client finds its server through a resolver. @internal */
export function usesDiscovery(options: TTStreamClientOptions): boolean {
  return options.resolver !== undefined;
}

/**
 * One {@link BalancedTarget} shared by a streaming and a ping-pong facade: per-instance
 * transports get the client's transport options, and their `connect` / `error` events are
 * re-emitted by the facade of their kind.
 * @internal used by `TTStreamClient`
 */
export function createBalancedTransports(
  options: TTStreamClientOptions,
  log: TTStreamLog,
  exceptionClasses: readonly ThriftExceptionClass[] | undefined,
): BalancedTransports {
  const { transportOptions, pingPongOptions, serviceName } = options;
  // The facades re-emit their instances' events; they are created once the target exists.
  const facades: { stream?: BalancedStreamTransport; pingPong?: BalancedPingPongTransport } = {};
  const target = new BalancedTarget({
    service: options.service ?? '',
    resolver: options.resolver as NonNullable<TTStreamClientOptions['resolver']>,
    balancer: options.balancer,
    tags: options.tags,
    discovery: options.discovery,
    log,
    createStream: ({ host, port }) => {
      const transport = new TTStreamClientTransport(
        { host, port },
        { ...transportOptions, serviceName },
      );
      transport.on('connect', (socket) => facades.stream?.emit('connect', socket));
      transport.on('error', (error) => {
        const { stream } = facades;
        if (stream !== undefined && stream.listenerCount('error') > 0) stream.emit('error', error);
      });
      return transport;
    },
    createPingPong: ({ host, port }) => {
      const transport = new PingPongClientTransport(
        { host, port },
        {
          ...pingPongOptions,
          dialTimeoutMs: pingPongOptions?.dialTimeoutMs ?? transportOptions?.dialTimeoutMs,
          serviceName,
          exceptionClasses,
        },
      );
      transport.on('connect', (socket) => facades.pingPong?.emit('connect', socket));
      transport.on('error', (error) => {
        const { pingPong } = facades;
        if (pingPong !== undefined && pingPong.listenerCount('error') > 0) {
          pingPong.emit('error', error);
        }
      });
      return transport;
    },
  });
  const stream = new BalancedStreamTransport(target);
  const pingPong = new BalancedPingPongTransport(target);
  Object.assign(facades, { stream, pingPong });
  return { stream, pingPong };
}
