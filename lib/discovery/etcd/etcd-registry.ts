import type { Etcd3, Lease } from 'etcd3';
import type { Registry, RegistryInfo } from '../registry.js';
import { DEFAULT_INSTANCE_WEIGHT } from '../service-instance.js';
import { openEtcdClient } from './etcd-connection.js';
import type { EtcdConnectionOptions } from './etcd-options.js';
import { EtcdRegistryError } from './etcd-registry-error.js';
import { encodeKitexEtcdRecord, KITEX_ETCD_PREFIX, kitexServiceKey } from './kitex-etcd-record.js';
import { registryAddress } from './registry-address.js';

/** kitex-contrib's lease TTL (`defaultTTL`), overridable there by `KITEX_ETCD_REGISTRY_LEASE_TTL`. */
export const DEFAULT_ETCD_LEASE_TTL_SECONDS = 60;
/** kitex-contrib's variable for the lease TTL in seconds. */
export const KITEX_ETCD_REGISTRY_LEASE_TTL = 'KITEX_ETCD_REGISTRY_LEASE_TTL';
/** How often the key is checked and put back if it vanished (kitex-contrib's `ObserveDelay`). */
export const DEFAULT_ETCD_CHECK_INTERVAL_MS = 30_000;
/** The next check after a failed one (kitex-contrib's `RetryDelay`). */
export const DEFAULT_ETCD_RETRY_INTERVAL_MS = 10_000;

/** Options of {@link EtcdRegistry}. */
export interface EtcdRegistryOptions extends EtcdConnectionOptions {
  /** The `host:port` to publish instead of the listener's (kitex-contrib's `SetFixedAddress`). */
  readonly address?: string;
  /** Lease TTL (default `KITEX_ETCD_REGISTRY_LEASE_TTL` or 60 s); the lease is kept alive. */
  readonly leaseTtlSeconds?: number;
  /** How often the key is checked and re-put when it disappeared (default 30 s, as Kitex). */
  readonly checkIntervalMs?: number;
  /** Delay of the next check after a failed one (default 10 s). Unlike Kitex, retries never stop. */
  readonly retryIntervalMs?: number;
  /** Variables read for `KITEX_IP_TO_REGISTRY` / `KITEX_PORT_TO_REGISTRY` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told of background failures (a failed check or re-put); default: ignored. */
  readonly onError?: (error: EtcdRegistryError) => void;
  /** Told when the key was put back after it vanished (lease expired, key deleted, etcd wiped). */
  readonly onReregistered?: (key: string) => void;
}

interface Registration {
  readonly key: string;
  readonly value: string;
  lease: Lease | undefined;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  checking: Promise<void> | undefined;
}

/**
 * Publishes servers in etcd with kitex-contrib `registry-etcd`'s record, so Go clients using its
 * resolver find Node servers: the key is put under a lease (TTL 60 s) kept alive, checked every
 * 30 s and put back under a new lease if it vanished; `deregister` deletes the key and revokes
 * the lease. `etcd3` is imported on first use.
 */
export class EtcdRegistry implements Registry {
  private client: Promise<Etcd3> | undefined;
  private readonly registrations = new Map<string, Registration>();
  private readonly ttl: number;
  private closed = false;

  constructor(private readonly options: EtcdRegistryOptions) {
    const envTtl = (options.env ?? process.env)[KITEX_ETCD_REGISTRY_LEASE_TTL];
    const ttl =
      options.leaseTtlSeconds ??
      (envTtl !== undefined && /^\d+$/.test(envTtl) ? Number(envTtl) : undefined) ??
      DEFAULT_ETCD_LEASE_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new RangeError(`leaseTtlSeconds must be an integer >= 1, got ${ttl}`);
    }
    this.ttl = ttl;
    for (const [name, value] of [
      ['checkIntervalMs', options.checkIntervalMs],
      ['retryIntervalMs', options.retryIntervalMs],
    ] as const) {
      if (value !== undefined && !(value > 0)) {
        throw new RangeError(`${name} must be > 0, got ${value}`);
      }
    }
  }

  /** The etcd key `info` is published under (after address overrides). */
  keyOf(info: RegistryInfo): string {
    validateServiceName(info.serviceName);
    const address = registryAddress(info, this.options.address, this.options.env);
    return kitexServiceKey(info.serviceName, address, this.options.prefix ?? KITEX_ETCD_PREFIX);
  }

  /** Puts the record under a new lease and keeps it there until `deregister`. */
  async register(info: RegistryInfo): Promise<void> {
    if (this.closed) throw new Error('the etcd registry is closed');
    const key = this.keyOf(info);
    const address = key.slice(key.lastIndexOf('/') + 1);
    const value = encodeKitexEtcdRecord({
      network: 'tcp',
      address,
      weight: info.weight ?? DEFAULT_INSTANCE_WEIGHT,
      tags: info.tags === undefined ? null : { ...info.tags },
    });
    // Registering the same key again replaces the old registration (and, once put, its lease).
    const previous = this.registrations.get(key);
    if (previous !== undefined) await this.stop(previous);
    const reg: Registration = {
      key,
      value,
      lease: undefined,
      timer: undefined,
      stopped: false,
      checking: undefined,
    };
    try {
      reg.lease = await this.putWithNewLease(reg);
    } catch (error) {
      throw new EtcdRegistryError('register', key, error);
    }
    void previous?.lease?.revoke().catch(() => undefined);
    this.registrations.set(key, reg);
    this.schedule(reg, this.options.checkIntervalMs ?? DEFAULT_ETCD_CHECK_INTERVAL_MS);
  }

  /** Stops keeping the record, deletes the key and revokes its lease. */
  async deregister(info: RegistryInfo): Promise<void> {
    const key = this.keyOf(info);
    const reg = this.registrations.get(key);
    if (reg !== undefined) await this.stop(reg);
    let failure: unknown;
    try {
      // Delete even when this registry never put it (Kitex does the same).
      await (await this.etcd()).delete().key(key).exec();
    } catch (error) {
      failure = error;
    }
    // revoke() stops the keepalives first, so even a failed revoke lets the lease expire.
    await reg?.lease?.revoke().catch((error: unknown) => {
      failure ??= error;
    });
    if (failure !== undefined) throw new EtcdRegistryError('deregister', key, failure);
  }

  /** Revokes every lease (which removes their keys) and closes the etcd connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.registrations.values()].map(async (reg) => {
        await this.stop(reg);
        await reg.lease?.revoke().catch(() => undefined);
      }),
    );
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) (await client.catch(() => undefined))?.close();
  }

  private async putWithNewLease(reg: Registration): Promise<Lease> {
    const lease = (await this.etcd()).lease(this.ttl);
    // A lost lease (expired while etcd was away, or revoked) means the key is gone: check now.
    lease.on('lost', () => {
      if (!reg.stopped && reg.lease === lease) this.schedule(reg, 0);
    });
    try {
      await lease.put(reg.key).value(reg.value).exec();
      return lease;
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  private schedule(reg: Registration, delayMs: number): void {
    if (reg.stopped) return;
    clearTimeout(reg.timer);
    reg.timer = setTimeout(() => {
      reg.checking = this.check(reg);
    }, delayMs);
    reg.timer.unref();
  }

  /** kitex-contrib's `keepRegister`: if the key is missing, put it back under a new lease. */
  private async check(reg: Registration): Promise<void> {
    let next = this.options.checkIntervalMs ?? DEFAULT_ETCD_CHECK_INTERVAL_MS;
    try {
      const etcd = await this.etcd();
      const current = await etcd.get(reg.key).string();
      if (isStopped(reg)) return;
      if (current === null || reg.lease === undefined || reg.lease.revoked()) {
        const old = reg.lease;
        const lease = await this.putWithNewLease(reg);
        if (isStopped(reg)) {
          await lease.revoke().catch(() => undefined);
          return;
        }
        reg.lease = lease;
        // The key now belongs to the new lease, so revoking the old one cannot remove it.
        if (old !== undefined) void old.revoke().catch(() => undefined);
        this.options.onReregistered?.(reg.key);
      }
    } catch (error) {
      next = this.options.retryIntervalMs ?? DEFAULT_ETCD_RETRY_INTERVAL_MS;
      if (!isStopped(reg))
        this.options.onError?.(new EtcdRegistryError('re-register', reg.key, error));
    } finally {
      reg.checking = undefined;
      this.schedule(reg, next);
    }
  }

  /** Stops the background check (waiting for one in progress); the lease is left to the caller. */
  private async stop(reg: Registration): Promise<void> {
    reg.stopped = true;
    clearTimeout(reg.timer);
    if (this.registrations.get(reg.key) === reg) this.registrations.delete(reg.key);
    await reg.checking?.catch(() => undefined);
  }

  private etcd(): Promise<Etcd3> {
    if (this.client === undefined) {
      if (this.closed) return Promise.reject(new Error('the etcd registry is closed'));
      const opening = openEtcdClient(this.options);
      opening.catch(() => {
        if (this.client === opening) this.client = undefined;
      });
      this.client = opening;
    }
    return this.client;
  }
}

function validateServiceName(name: string): void {
  if (name === '') throw new RangeError('registry: missing service name');
  if (name.includes('/')) {
    throw new RangeError(`registry: service name '${name}' must not contain '/' (etcd key)`);
  }
}

/** Read through a call so that checks after an `await` are not narrowed away by the linter. */
function isStopped(reg: Registration): boolean {
  return reg.stopped;
}
