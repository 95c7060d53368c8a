import { type MessageHandler } from '@nestjs/microservices';
import { findIdlMethod, type TTStreamIdlLike, type TTStreamMethodLike } from './idl-descriptor.js';

/** A `@MessagePattern` or `@EventPattern` handler matched to its IDL method. @internal */
export interface UnaryBinding {
  readonly service: string;
  readonly method: TTStreamMethodLike & { readonly oneway?: boolean };
  readonly handler: MessageHandler;
}

/** What {@link matchUnaryHandlers} found. @internal */
export interface UnaryMatch {
  readonly bindings: readonly UnaryBinding[];
  /** Handlers that name an IDL service but cannot serve what they name (listen fails). */
  readonly problems: readonly string[];
  /** Patterns naming no IDL service: handlers of other transports, left alone. */
  readonly ignored: readonly string[];
}

/**
 * Matches the untagged-by-`@StreamPattern` handlers (`@MessagePattern('Service.Method')`,
 * `@EventPattern('Service.Method')`) to the IDL's unary and oneway methods, and says what is
 * wrong with those that do not fit: a streaming method (it needs `@StreamPattern`), a oneway
 * method under `@MessagePattern` (nothing is sent back, so it needs `@EventPattern`) or the
 * reverse.
 * @internal not covered by semver
 */
export function matchUnaryHandlers(
  idl: TTStreamIdlLike,
  handlers: Iterable<[string, MessageHandler]>,
): UnaryMatch {
  const bindings: UnaryBinding[] = [];
  const problems: string[] = [];
  const ignored: string[] = [];
  for (const [pattern, handler] of handlers) {
    const dot = pattern.lastIndexOf('.');
    const service = dot > 0 ? pattern.slice(0, dot) : '';
    if (!idl.services.has(service)) {
      ignored.push(pattern);
      continue;
    }
    const decorator = handler.isEventHandler ? '@EventPattern' : '@MessagePattern';
    const method = findIdlMethod(idl, service, pattern.slice(dot + 1)) as UnaryBinding['method'];
    if (method instanceof Error) {
      problems.push(`${decorator}('${pattern}'): ${method.message}`);
    } else if (method.mode !== 'unary') {
      problems.push(
        `${decorator}('${pattern}'): ${pattern} is a ${method.mode} streaming method; use @StreamPattern`,
      );
    } else if (method.oneway === true && !handler.isEventHandler) {
      problems.push(
        `@MessagePattern('${pattern}'): ${pattern} is oneway (nothing is sent back); use @EventPattern`,
      );
    } else if (method.oneway !== true && handler.isEventHandler) {
      problems.push(`@EventPattern('${pattern}'): ${pattern} expects a reply; use @MessagePattern`);
    } else {
      bindings.push({ service, method, handler });
    }
  }
  return { bindings, problems, ignored };
}
