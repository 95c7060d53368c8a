import { describe, expect, it } from '@jest/globals';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { scopeSeenByHandler } from '../../helpers/scope-probe.js';

// The default `cascade`: handlers run in the stream scope only once the process has a client.
// This file must create no client before the tests that say so (module state is per test file),
// and its clients never connect; the peer is a raw socket.
describe('cascade by default: on once a client exists', () => {
  it('a process without any client runs handlers outside the scope (no promise hooks)', async () => {
    expect(await scopeSeenByHandler()).toBe(false);
  });

  it('cascade: true puts them in the scope all the same', async () => {
    expect(await scopeSeenByHandler(true)).toBe(true);
  });

  it('after a client is created (not even connected), handlers run in the scope', async () => {
    const client = new TTStreamClientTransport({ host: '127.0.0.1', port: 1 });
    try {
      expect(await scopeSeenByHandler()).toBe(true);
      expect(await scopeSeenByHandler(false)).toBe(false);
    } finally {
      await client.close();
    }
  });
});
