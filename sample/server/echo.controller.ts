import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { defer, map, type Observable, reduce } from 'rxjs';
import { BizStatusError, StreamPattern, type TTStreamContext } from '../../lib/index.js';
import {
  EchoException,
  type Request,
  type Response,
  type TestServiceHandler,
} from '../generated/echo.js';

/** How many users' Notify records the sample keeps (the oldest goes first). */
const MAX_NOTIFY_USERS = 10_000;

/**
 * The reference `TestService` of the interop suite: every stream's HEADER carries
 * `x-handler` = `TestService.<Method>` and its TRAILER `x-sent` = the number of messages sent.
 */
@Controller()
export class EchoController implements TestServiceHandler {
  /** The last Notify message of each user and how many were received. */
  private readonly notified = new Map<string, { message: string; count: number }>();

  /**
   * Unary: `{ message, index: count }`. `message: 'last-notify'` reads back the user's Notify
   * record instead: its last message (`''` if none) and the number of Notify calls.
   */
  @MessagePattern('TestService.EchoUnary')
  EchoUnary(@Payload() req: Request): Response {
    if (req.message === 'last-notify') {
      const record = this.notified.get(String(req.userId));
      return { message: record?.message ?? '', index: record?.count ?? 0 };
    }
    return { message: req.message, index: req.count };
  }

  /**
   * Unary with a declared exception: `test error` fails with a plain error, `declared` throws
   * `EchoException{42, 'declared failure'}`, `count` 0 is the business error 10001, otherwise
   * `{ message: 'ok', index: count }`.
   */
  @MessagePattern('TestService.UnaryWithErr')
  UnaryWithErr(@Payload() req: Request): Response {
    if (req.message === 'test error') throw new Error('test error');
    if (req.message === 'declared') {
      throw new EchoException({ code: 42, message: 'declared failure' });
    }
    if (req.count === 0) {
      throw new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
    }
    return { message: 'ok', index: req.count };
  }

  /** Oneway: records `message` as the user's last Notify and counts it; nothing is sent back. */
  @EventPattern('TestService.Notify')
  Notify(@Payload() req: Request): void {
    const key = String(req.userId);
    const count = (this.notified.get(key)?.count ?? 0) + 1;
    this.notified.delete(key);
    this.notified.set(key, { message: req.message, count });
    if (this.notified.size > MAX_NOTIFY_USERS) {
      const oldest = this.notified.keys().next();
      if (oldest.done !== true) this.notified.delete(oldest.value);
    }
  }

  /** Bidirectional: the n-th request comes back as `{ message, index: n }` at once. */
  @StreamPattern('TestService.Echo')
  Echo(
    @Payload() requests: Observable<Request>,
    @Ctx() ctx: TTStreamContext,
  ): Observable<Response> {
    return requests.pipe(
      map((req, index) => ({ message: req.message, index })),
      countSent(ctx),
    );
  }

  /** Client streaming: after the half-close, all messages joined with `,` and their count. */
  @StreamPattern('TestService.EchoClient')
  EchoClient(
    @Payload() requests: Observable<Request>,
    @Ctx() ctx: TTStreamContext,
  ): Observable<Response> {
    return requests.pipe(
      reduce((all: string[], req) => [...all, req.message], []),
      map((all) => ({ message: all.join(','), index: all.length })),
      countSent(ctx),
    );
  }

  /**
   * Server streaming: `{ message, index: i }` for i = 0 .. count-1. A generator is pulled one
   * message per completed write, so a large `count` never runs ahead of the connection; one that
   * awaits nothing can be a plain `function*`, which costs no promise per message.
   */
  @StreamPattern('TestService.EchoServer')
  *EchoServer(@Payload() req: Request, @Ctx() ctx: TTStreamContext): Generator<Response> {
    start(ctx);
    for (let index = 0; index < req.count; index++) {
      yield { message: req.message, index };
    }
  }

  /**
   * The balance example of the CloudWeGo document: the balance is `count` tokens; while it
   * lasts, one `token-<i>` message per token; then the business error 10001. A request with
   * `message: 'test error'` fails at once with a plain error (an ApplicationException for the
   * client).
   */
  @StreamPattern('TestService.ServerStreamWithErr')
  // eslint-disable-next-line @typescript-eslint/require-await -- pulled by the server
  async *ServerStreamWithErr(
    @Payload() req: Request,
    @Ctx() ctx: TTStreamContext,
  ): AsyncGenerator<Response> {
    start(ctx);
    if (req.message === 'test error') throw new Error('test error');
    let balance = req.count;
    let index = 0;
    while (balance > 0) {
      yield { message: `token-${index}`, index };
      balance--;
      index++;
    }
    throw new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
  }
}

/**
 * Sets `x-handler` now, and `x-sent` to the number of DATA frames sent once the result has been
 * written (a message the writer refused, over `maxFrameBytes`, is not counted).
 */
function start(ctx: TTStreamContext): void {
  ctx.setHeader('x-handler', ctx.getPattern());
  ctx.setTrailer('x-sent', '0');
  ctx.onFinish(() => {
    ctx.setTrailer('x-sent', String(ctx.getSentMessages()));
  });
}

/** {@link start} for an Observable handler, when it is subscribed. */
function countSent<T>(ctx: TTStreamContext) {
  return (source: Observable<T>): Observable<T> =>
    defer(() => {
      start(ctx);
      return source;
    });
}
