// The server child of `bench:kitex`: TestService (sample/idl/echo.thrift) on our transport and
// Thrift codecs, behaving like the Kitex peer's server for the two benchmarked methods (x-handler
// header, x-sent trailer). `node kitex-server.js` listens on 127.0.0.1:0 (or TTSTREAM_HOST /
// TTSTREAM_PORT), prints `LISTENING <host:port>` and exits on SIGTERM/SIGINT.
import { loadThriftIdl } from '../../lib/idl/index.js';
import type { MessageCodec } from '../../lib/thrift/message-codec.js';
import type { TcpAddress } from '../../lib/transport/address.js';
import type { ServerStream } from '../../lib/transport/server-stream.js';
import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';

interface EchoRequest {
  message?: string;
  count?: number;
}
interface EchoResponse {
  message: string;
  index: number;
}

const SERVICE = 'TestService';
const idl = loadThriftIdl('sample/idl/echo.thrift');

function codecs(method: string): {
  requestCodec: MessageCodec<EchoRequest>;
  responseCodec: MessageCodec<EchoResponse>;
} {
  const m = idl.services.get(SERVICE)?.methods.get(method);
  if (m === undefined || m.mode === 'unary') throw new Error(`no streaming method ${method}`);
  return {
    requestCodec: m.requestCodec as MessageCodec<EchoRequest>,
    responseCodec: m.responseCodec as MessageCodec<EchoResponse>,
  };
}

type Stream = ServerStream<EchoRequest, EchoResponse>;

const server = new TTStreamServerTransport({ idleTimeoutMs: 0, gracePeriodMs: 200 });

server.register<EchoRequest, EchoResponse>(SERVICE, 'Echo', {
  mode: 'bidirectional',
  ...codecs('Echo'),
  handler: async (stream: Stream) => {
    stream.setHeader('x-handler', 'TestService.Echo');
    let n = 0;
    try {
      for await (const request of stream) {
        await stream.send({ message: request.message ?? '', index: n });
        n++;
      }
    } finally {
      stream.setTrailer('x-sent', String(n));
    }
  },
});

server.register<EchoRequest, EchoResponse>(SERVICE, 'EchoServer', {
  mode: 'server',
  ...codecs('EchoServer'),
  handler: async (stream: Stream) => {
    stream.setHeader('x-handler', 'TestService.EchoServer');
    let n = 0;
    try {
      const first = await stream.recv();
      const request = first.done === true ? {} : first.value;
      const message = request.message ?? '';
      for (let i = 0; i < (request.count ?? 0); i++) {
        await stream.send({ message, index: i });
        n++;
      }
    } finally {
      stream.setTrailer('x-sent', String(n));
    }
  },
});

const bound = (await server.listen({
  host: process.env['TTSTREAM_HOST'] ?? '127.0.0.1',
  port: Number(process.env['TTSTREAM_PORT'] ?? '0'),
})) as TcpAddress;
process.stdout.write(`LISTENING ${bound.host}:${bound.port}\n`);

const stop = (): void => {
  const timer = setTimeout(() => process.exit(1), 3000);
  server.close().then(
    () => {
      clearTimeout(timer);
      process.exit(0);
    },
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Exit with the driver: it holds our stdin open.
process.stdin.on('end', stop);
process.stdin.resume();
