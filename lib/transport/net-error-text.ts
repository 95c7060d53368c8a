import { describeValue } from './to-error.js';

// Node's errno codes as Go's net package words them: a Kitex user greps for these.
const GO_TEXTS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  ECONNRESET: 'read: connection reset by peer',
  EPIPE: 'write: broken pipe',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  ENOENT: 'connect: no such file or directory',
  EACCES: 'connect: permission denied',
};

/**
 * A socket error in Go's words (`connect: connection refused`), or Node's message when Go has
 * none. `ENOTFOUND` reads `lookup <host>: no such host`.
 * @internal not covered by semver
 */
export function goNetErrorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const text = GO_TEXTS[code];
    if (text !== undefined) return text;
    if (code === 'ENOTFOUND') {
      const host = (error as { hostname?: unknown }).hostname;
      return `lookup ${typeof host === 'string' ? host : '?'}: no such host`;
    }
  }
  return describeValue(error);
}
