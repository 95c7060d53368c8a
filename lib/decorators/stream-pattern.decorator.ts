import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import {
  type StreamMode,
  type StreamPatternMetadata,
  TTSTREAM_METHOD_METADATA,
  TTSTREAM_TRANSPORT,
} from '../nest-constants.js';
import { TTStreamErrorCaptureInterceptor } from '../server/error-capture.interceptor.js';

/** Options of {@link StreamPattern}. */
export interface StreamPatternOptions {
  /**
   * The stream mode the handler expects. Default: the IDL's `streaming.mode`. When given, it must
   * match the IDL, or `listen` fails.
   */
  readonly mode?: StreamMode;
}

/** The extras `@StreamPattern` attaches to Nest's handler (`handler.extras.ttstream`). @internal */
export interface StreamPatternExtras {
  readonly ttstream: StreamPatternMetadata;
}

const captureInterceptor = new TTStreamErrorCaptureInterceptor();

/**
 * Marks a controller method as the TTHeader Streaming handler of `Service.Method`.
 *
 * The handler takes `@Payload()` (the request for server streaming and unary, an `Observable` of
 * requests for client and bidirectional streaming) and `@Ctx()` (a `TTStreamContext`), and
 * returns an `Observable`, a Promise, a value or an `AsyncIterable`. Guards, pipes, interceptors
 * and exception filters apply as on any Nest handler.
 *
 * @param pattern `Service.Method`, as named in the IDL, e.g. `TestService.Echo`.
 * @example
 * ```ts
 * @StreamPattern('TestService.EchoServer')
 * echoServer(@Payload() req: Request): Observable<Response> { ... }
 * ```
 */
export function StreamPattern(
  pattern: string,
  options: StreamPatternOptions = {},
): MethodDecorator {
  const metadata = parseStreamPattern(pattern, options.mode);
  const extras: StreamPatternExtras = { ttstream: metadata };
  return applyDecorators(
    MessagePattern(pattern, TTSTREAM_TRANSPORT, extras),
    SetMetadata(TTSTREAM_METHOD_METADATA, metadata),
    UseInterceptors(captureInterceptor),
    untypedRequestStreams,
  );
}

/**
 * Pipes decide what to do from a parameter's design type. For a request stream that type is
 * `Observable`, and a `ValidationPipe` would validate (and with `whitelist` or `transform`,
 * rebuild) the Observable object itself, breaking or hanging the call. Recording it as `Object`
 * makes pipes pass the stream through untouched; `EachMessagePipe` validates its messages.
 */
const untypedRequestStreams: MethodDecorator = (target, key) => {
  const types = Reflect.getMetadata(PARAMTYPES, target, key) as unknown[] | undefined;
  if (types === undefined || !types.some(isObservableClass)) return;
  const replaced = types.map((type) => (isObservableClass(type) ? Object : type));
  Reflect.defineMetadata(PARAMTYPES, replaced, target, key);
};

const PARAMTYPES = 'design:paramtypes';

/** rxjs' `Observable` or a subclass, from any copy of rxjs. */
function isObservableClass(type: unknown): boolean {
  if (typeof type !== 'function') return false;
  const proto = (type as { prototype?: unknown }).prototype;
  if (typeof proto !== 'object' || proto === null) return false;
  const members = proto as { subscribe?: unknown; pipe?: unknown };
  return typeof members.subscribe === 'function' && typeof members.pipe === 'function';
}

function parseStreamPattern(pattern: string, mode: StreamMode | undefined): StreamPatternMetadata {
  const dot = typeof pattern === 'string' ? pattern.lastIndexOf('.') : -1;
  if (dot <= 0 || dot === pattern.length - 1) {
    throw new TypeError(`@StreamPattern expects 'Service.Method', got '${pattern}'`);
  }
  return { pattern, service: pattern.slice(0, dot), method: pattern.slice(dot + 1), mode };
}
