import { formatAddress } from '../transport/index.js';
import { type RpcSide } from '../telemetry/rpc-lifecycle.js';
import { type TelemetryHub } from '../telemetry/telemetry-hub.js';

/** What telemetry reads of an accepted socket (a `net.Socket`). */
interface SocketLike {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Reports a connection to the plug-ins that watch connections (one a server accepted, or one a
 * client opened, per `side`), and its byte counts when it closes.
 * @internal not covered by semver
 */
export function observeConnection(
  hub: TelemetryHub | undefined,
  socket: unknown,
  side: RpcSide = 'server',
): void {
  if (hub?.connection === undefined || !isSocketLike(socket)) return;
  const { remoteAddress, remotePort } = socket;
  const peer =
    remoteAddress === undefined || remotePort === undefined
      ? remoteAddress
      : formatAddress({ host: remoteAddress, port: remotePort });
  const observer = hub.connection({ side, peer });
  if (observer === undefined) return;
  socket.once('close', () => {
    observer.end({ bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten });
  });
}

function isSocketLike(value: unknown): value is SocketLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<SocketLike>).bytesRead === 'number' &&
    typeof (value as Partial<SocketLike>).once === 'function'
  );
}
