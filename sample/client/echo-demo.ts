import { Inject, Injectable } from '@nestjs/common';
import { from, lastValueFrom, type Observable, tap, toArray } from 'rxjs';
import {
  ApplicationException,
  fromBizStatusError,
  type TTStreamCallOptions,
  type TTStreamClient,
  type TTStreamServiceClient,
} from '../../lib/index.js';
import {
  EchoException,
  type Request,
  type Response,
  type TestServiceClient,
} from '../generated/echo.js';
import { ECHO_CLIENT } from './tokens.js';

/** Calls every `TestService` method and reports what comes back, line by line. */
@Injectable()
export class EchoDemo {
  private readonly service: TTStreamServiceClient<TestServiceClient>;

  constructor(@Inject(ECHO_CLIENT) client: TTStreamClient) {
    this.service = client.getService<TTStreamServiceClient<TestServiceClient>>('TestService');
  }

  /** Runs the demo; `print` receives each transcript line. */
  async run(print: (line: string) => void): Promise<void> {
    print('EchoServer (server streaming): message "hello", count 3');
    await this.show(print, (o) => this.service.EchoServer(req('hello', 3), o));

    print('Echo (bidirectional): "ping", "pong", "bye"');
    await this.show(print, (o) =>
      this.service.Echo(from(['ping', 'pong', 'bye'].map((m) => req(m))), o),
    );

    print('EchoClient (client streaming): "a", "b", "c"');
    await this.show(print, (o) =>
      this.service.EchoClient(from(['a', 'b', 'c'].map((m) => req(m))), o),
    );

    print('ServerStreamWithErr: a balance of 3 tokens');
    await this.show(print, (o) => this.service.ServerStreamWithErr(req('balance', 3), o));

    print('ServerStreamWithErr: message "test error"');
    await this.show(print, (o) => this.service.ServerStreamWithErr(req('test error', 3), o));

    print('EchoUnary (unary): message "hello", count 7');
    await this.show(print, (o) => this.service.EchoUnary(req('hello', 7), o));

    print('UnaryWithErr (unary): message "declared"');
    await this.show(print, (o) => this.service.UnaryWithErr(req('declared', 1), o));

    print('UnaryWithErr (unary): count 0');
    await this.show(print, (o) => this.service.UnaryWithErr(req('balance', 0), o));

    print('Notify (oneway): "remember me", then EchoUnary "last-notify"');
    await lastValueFrom(this.service.Notify(req('remember me')), { defaultValue: undefined });
    await this.show(print, (o) => this.service.EchoUnary(req('last-notify'), o));
  }

  private async show(
    print: (line: string) => void,
    call: (options: TTStreamCallOptions) => Observable<Response>,
  ): Promise<void> {
    // The trailer arrives with the stream's last frames, before the consumer has read every
    // message: keep it and print it after the messages, in the order the server sent them.
    let trailer: string | undefined;
    const options: TTStreamCallOptions = {
      onHeader: (h) => {
        print(`  header  ${format(h)}`);
      },
      onTrailer: (t) => {
        trailer = `  trailer ${format(t)}`;
      },
    };
    const printTrailer = (): void => {
      if (trailer !== undefined) print(trailer);
    };
    try {
      const responses = await lastValueFrom(
        call(options).pipe(
          tap((r) => {
            print(`  <- ${r.message} (index ${r.index})`);
          }),
          toArray(),
        ),
      );
      printTrailer();
      print(`  done: ${responses.length} response(s)`);
    } catch (error) {
      printTrailer();
      const biz = fromBizStatusError(error);
      if (biz !== undefined) {
        print(
          `  business error: ${biz.bizStatusCode} ${biz.bizMessage} ${JSON.stringify(biz.bizExtra)}`,
        );
      } else if (error instanceof EchoException) {
        print(`  declared exception EchoException: code ${error.code}, message "${error.message}"`);
      } else if (error instanceof ApplicationException) {
        print(
          `  application exception: type ${error.typeId}, message "${error.applicationMessage}"`,
        );
        print(`  (${error.message})`);
      } else {
        throw error;
      }
    }
  }
}

function req(message: string, count = 0): Request {
  return { message, userId: 42n, count };
}

function format(record: Readonly<Record<string, string>>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${v}`).join(' ');
}
