import type { Registry, RegistryInfo } from '../discovery/registry.js';

/** The server option that publishes a server in a registry (etcd, ...) while it listens. */
export interface ServerRegistryOptions {
  /** Where to publish, e.g. `new EtcdRegistry({ endpoints: ['127.0.0.1:2379'] })`. */
  readonly registry: Registry;
  /** The service name clients resolve (Kitex's `ServerBasicInfo.ServiceName`). */
  readonly serviceName: string;
  /** Relative share of calls (default: the registry's, 10 for etcd as Kitex). */
  readonly weight?: number;
  readonly tags?: Readonly<Record<string, string>>;
  /** Host to publish instead of the bound one (the registry may still apply its own overrides). */
  readonly host?: string;
  /** Port to publish instead of the bound one. */
  readonly port?: number;
  /** Reject `listen` when the first registration fails (default false: log it and serve). */
  readonly required?: boolean;
  /** Longest wait for `deregister` on close before draining anyway (default 5000 ms). */
  readonly deregisterTimeoutMs?: number;
  /**
   * Pause between deregistering and draining, serving as usual, so that clients stop choosing
   * this server before it stops accepting. Default 1000 ms: enough for clients that watch the
   * registry (ours); clients that re-resolve on a timer (Kitex: every 5 s) need more than it.
   */
  readonly drainDelayMs?: number;
  /** Close the registry after deregistering (default true: the server owns it). */
  readonly closeRegistry?: boolean;
}

/**
 * Default of {@link ServerRegistryOptions.drainDelayMs}. With none, SIGTERM under load failed a
 * few calls of a watching client in every run: the watch had not yet dropped the instance when
 * its pooled connections were closed.
 */
export const DEFAULT_DRAIN_DELAY_MS = 1000;

/** Default of {@link ServerRegistryOptions.deregisterTimeoutMs}. */
export const DEFAULT_DEREGISTER_TIMEOUT_MS = 5000;

/** Where the lifecycle reports failures it does not throw. */
export interface RegistryLifecycleLog {
  warn(message: string): void;
}

/**
 * Registers a server after it is listening and, on close, deregisters it **before** it drains, so
 * that clients stop choosing it while it still serves the streams they already opened.
 */
export class RegistryLifecycle {
  private registered: RegistryInfo | undefined;

  constructor(
    private readonly options: ServerRegistryOptions,
    private readonly log: RegistryLifecycleLog,
  ) {
    for (const [name, value] of [
      ['deregisterTimeoutMs', options.deregisterTimeoutMs],
      ['drainDelayMs', options.drainDelayMs],
    ] as const) {
      if (value !== undefined && !(value >= 0)) throw new RangeError(`${name} must be >= 0`);
    }
  }

  /** Call once the socket is bound, with its address. */
  async afterListen(bound: { readonly address: string; readonly port: number }): Promise<void> {
    const info: RegistryInfo = {
      serviceName: this.options.serviceName,
      host: this.options.host ?? bound.address,
      port: this.options.port ?? bound.port,
      ...(this.options.weight === undefined ? {} : { weight: this.options.weight }),
      ...(this.options.tags === undefined ? {} : { tags: this.options.tags }),
    };
    try {
      await this.options.registry.register(info);
      this.registered = info;
    } catch (error) {
      if (this.options.required === true) throw error;
      this.log.warn(`registry: serving without registration: ${text(error)}`);
    }
  }

  /** Call first in close(): deregister (bounded), wait `drainDelayMs`, then let the server drain. */
  async beforeDrain(): Promise<void> {
    const info = this.registered;
    this.registered = undefined;
    if (info !== undefined) {
      const limit = this.options.deregisterTimeoutMs ?? DEFAULT_DEREGISTER_TIMEOUT_MS;
      const outcome = await withTimeout(this.options.registry.deregister(info), limit);
      if (outcome !== 'ok')
        this.log.warn(`registry: deregister failed, draining anyway: ${outcome}`);
      const delay = this.options.drainDelayMs ?? DEFAULT_DRAIN_DELAY_MS;
      if (delay > 0) await sleep(delay);
    }
    if (this.options.closeRegistry !== false) {
      await this.options.registry.close?.().catch((error: unknown) => {
        this.log.warn(`registry: close failed: ${text(error)}`);
      });
    }
  }
}

/** `'ok'`, or why the work did not finish (its error text, or the timeout). */
async function withTimeout(work: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve(`no answer within ${ms} ms`);
    }, ms);
  });
  try {
    return await Promise.race([work.then(() => 'ok', text), late]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
