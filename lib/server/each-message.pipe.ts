import { type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { concatMap, isObservable } from 'rxjs';
import { RequestStream } from './request-observable.js';

/**
 * Runs pipes on each message of a request stream (the `@Payload()` Observable of a client or
 * bidirectional handler), with `metatype` as the message type, since TypeScript's metadata only
 * says `Observable`:
 *
 * ```ts
 * @StreamPattern('TestService.Echo')
 * echo(@Payload(new EachMessagePipe(EchoRequestDto, new ValidationPipe({ whitelist: true })))
 *   requests: Observable<EchoRequestDto>) { ... }
 * ```
 *
 * A message is read only once the pipes have settled on the one before it. A pipe that throws
 * fails the request stream with its error (a `ValidationPipe` rejection reaches the client as
 * business error 400), so a `catchError` in the handler can still answer. On a single value (the
 * request of a server-streaming handler) the pipes run once, as usual.
 */
export class EachMessagePipe implements PipeTransform {
  private readonly pipes: readonly PipeTransform[];

  /**
   * @param metatype the class of one message (e.g. a DTO with class-validator decorators), given
   *   to the pipes as `metadata.metatype`; undefined leaves it unknown.
   * @param pipes pipe instances or classes (classes are constructed without arguments).
   */
  constructor(
    private readonly metatype: Type | undefined,
    ...pipes: (PipeTransform | Type<PipeTransform>)[]
  ) {
    this.pipes = pipes.map((pipe) => (typeof pipe === 'function' ? new pipe() : pipe));
  }

  /** Wraps a request stream; runs the pipes directly on any other value. */
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const each: ArgumentMetadata = Object.assign({}, metadata, { metatype: this.metatype });
    const run = async (message: unknown): Promise<unknown> => {
      let result = message;
      for (const pipe of this.pipes) result = await pipe.transform(result, each);
      return result;
    };
    if (value instanceof RequestStream) return value.mapEach(run);
    if (isObservable(value)) return value.pipe(concatMap(run));
    return run(value);
  }
}
