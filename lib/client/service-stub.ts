import { type Observable } from 'rxjs';
import { type TTStreamMethodLike, type TTStreamServiceLike } from '../server/idl-descriptor.js';
import { type CallInput } from './client-call.js';
import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';

type Invoke = (
  method: TTStreamMethodLike,
  input: CallInput,
  options: TTStreamCallOptions | undefined,
) => Observable<unknown>;

/**
 * One function per method of `service`, under its IDL name (`EchoServer`) and its camelCase
 * name (`echoServer`). @internal not covered by semver
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller's stub type
export function createServiceStub<T extends object>(
  service: TTStreamServiceLike,
  invoke: Invoke,
): T {
  const stub: Record<string, unknown> = {};
  for (const method of service.methods.values()) {
    const streaming = method.mode === 'client' || method.mode === 'bidirectional';
    const fn = streaming
      ? (
          requests: Observable<unknown> | AsyncIterable<unknown> | Iterable<unknown>,
          options?: TTStreamCallOptions,
        ) => invoke(method, { kind: 'many', requests }, options)
      : (request: unknown, options?: TTStreamCallOptions) =>
          invoke(method, { kind: 'one', request }, options);
    stub[method.name] = fn;
    const camel = method.name.charAt(0).toLowerCase() + method.name.slice(1);
    stub[camel] ??= fn;
  }
  return stub as T;
}
