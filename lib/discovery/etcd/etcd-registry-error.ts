/** What an {@link EtcdRegistry} failed to do. */
export type EtcdRegistryOperation = 'register' | 'deregister' | 're-register';

/** An etcd registry operation failed; `cause` holds the etcd client's error. */
export class EtcdRegistryError extends Error {
  /** What failed. */
  readonly operation: EtcdRegistryOperation;
  /** The etcd key of the instance. */
  readonly key: string;

  constructor(operation: EtcdRegistryOperation, key: string, cause: unknown) {
    super(`etcd registry: ${operation} of '${key}' failed: ${errorText(cause)}`);
    this.name = 'EtcdRegistryError';
    this.operation = operation;
    this.key = key;
    Object.defineProperty(this, 'cause', { value: cause, writable: true, configurable: true });
  }
}

/** A short text for an unknown thrown value. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
