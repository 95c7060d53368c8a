import { RpcException } from '@nestjs/microservices';

/** Why discovery failed: no usable instance, or the source could not be read. */
export type ServiceDiscoveryErrorKind = 'no-instance' | 'resolve';

/**
 * A call could not be given an instance: the resolver's list is empty (or empty once filtered by
 * tags), or the resolver failed before any list was known. The message names the service, as in
 * `service discovery error: no instance of service 'echo' (tags zone=a)`, after Kitex's
 * `kerrors.ErrServiceDiscovery`.
 */
export class ServiceDiscoveryError extends RpcException {
  /** What failed. */
  readonly kind: ServiceDiscoveryErrorKind;
  /** The service asked for. */
  readonly service: string;

  constructor(
    kind: ServiceDiscoveryErrorKind,
    service: string,
    detail: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(`service discovery error: ${detail}`);
    this.name = 'ServiceDiscoveryError';
    this.kind = kind;
    this.service = service;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        writable: true,
        configurable: true,
      });
    }
  }

  /** Returns the error itself, so Nest's RPC exception filter passes it through intact. */
  override getError(): this {
    return this;
  }
}

/** The error for an empty list of `service`, naming the tags that filtered it, if any. */
export function noInstanceError(
  service: string,
  tags?: Readonly<Record<string, string>>,
): ServiceDiscoveryError {
  const filter = tags === undefined ? [] : Object.entries(tags).map(([k, v]) => `${k}=${v}`);
  const suffix = filter.length === 0 ? '' : ` (tags ${filter.join(', ')})`;
  return new ServiceDiscoveryError(
    'no-instance',
    service,
    `no instance of service '${service}'${suffix}`,
  );
}

/** True for a {@link ServiceDiscoveryError}. */
export function isServiceDiscoveryError(error: unknown): error is ServiceDiscoveryError {
  return error instanceof ServiceDiscoveryError;
}
