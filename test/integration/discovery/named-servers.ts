// Loopback Nest servers that say who answered: the discovery tests count calls per instance.
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { StreamPattern } from '../../../lib/index.js';
import { startServerApp, type ServerApp } from '../nest/harness.js';

/** A reply of a named server: `message` is the server's name. */
export interface NamedReply {
  message: string;
  index: number;
}

/**
 * A server whose EchoUnary replies and EchoServer messages carry `name`; a stream asked with the
 * message `slow` pauses 20 ms between messages.
 */
export async function startNamed(name: string): Promise<ServerApp> {
  @Controller()
  class NamedController {
    @MessagePattern('TestService.EchoUnary')
    EchoUnary(@Payload() req: { count: number }): NamedReply {
      return { message: name, index: req.count };
    }

    @StreamPattern('TestService.EchoServer')
    async *EchoServer(
      @Payload() req: { message: string; count: number },
    ): AsyncGenerator<NamedReply> {
      for (let index = 0; index < req.count; index++) {
        if (req.message === 'slow') await new Promise((r) => setTimeout(r, 20));
        yield { message: name, index };
      }
    }
  }
  return startServerApp({ controllers: [NamedController] });
}

/** How many times each name occurs. */
export function tally(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}
