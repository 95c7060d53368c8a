import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from './wait.js';

/**
 * A TCP proxy on 127.0.0.1:0 in front of `targetPort`. `cut('fin' | 'rst')` ends every proxied
 * connection, by FIN or by TCP RST.
 */
export class FaultProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly pairs: [Socket, Socket][],
  ) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    const pairs: [Socket, Socket][] = [];
    const server = createServer((inbound) => {
      const outbound = connect({ host: '127.0.0.1', port: targetPort });
      pairs.push([inbound, outbound]);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return new FaultProxy(server, address.port, pairs);
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.pairs.length;
  }

  /** Cuts every connection: `fin` ends both sides, `rst` resets them. */
  cut(mode: 'fin' | 'rst'): void {
    for (const [a, b] of this.pairs) {
      if (mode === 'rst') {
        if (!a.destroyed) a.resetAndDestroy();
        if (!b.destroyed) b.resetAndDestroy();
      } else {
        a.end();
        b.end();
      }
    }
  }

  async close(): Promise<void> {
    this.cut('rst');
    await waitFor(
      () => this.pairs.every(([a, b]) => a.destroyed && b.destroyed),
      'proxy sockets closed',
    );
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}
