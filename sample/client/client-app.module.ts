import { type DynamicModule, Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamClient, type TTStreamClientOptions } from '../../lib/index.js';
import { ECHO_EXCEPTIONS } from '../generated/echo.js';
import { ECHO_IDL_FILE } from '../package-root.js';
import { EchoDemo } from './echo-demo.js';
import { ECHO_CLIENT } from './tokens.js';

/** The client app: a `TTStreamClient` (ClientsModule, closed on shutdown) and the demo. */
@Module({})
export class EchoClientModule {
  static forServer(host: string, port: number): DynamicModule {
    return {
      module: EchoClientModule,
      imports: [
        ClientsModule.registerAsync([
          {
            name: ECHO_CLIENT,
            useFactory: () => ({
              customClass: TTStreamClient,
              options: {
                idl: loadThriftIdl(ECHO_IDL_FILE),
                host,
                port,
                defaultTimeoutMs: 10_000,
                // Declared exceptions arrive as these classes (`instanceof EchoException`).
                exceptionClasses: ECHO_EXCEPTIONS,
              } satisfies TTStreamClientOptions,
            }),
          },
        ]),
      ],
      providers: [EchoDemo],
    };
  }
}
