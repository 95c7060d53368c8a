import { describe, expect, it } from '@jest/globals';
import { TTStreamClient } from '../../../lib/client/ttstream.client.js';
import { scopeSeenByHandler } from '../../helpers/scope-probe.js';

// A Nest TTStreamClient creates its transport on the first call, which may come from inside a
// handler: constructing the client must already switch the default cascade on.
describe('cascade by default, Nest client', () => {
  it('constructing a TTStreamClient (before any call) puts handlers in the scope', async () => {
    expect(await scopeSeenByHandler()).toBe(false);
    const client = new TTStreamClient({ idl: 'sample/idl/echo.thrift' });
    try {
      expect(await scopeSeenByHandler()).toBe(true);
    } finally {
      await client.close();
    }
  });
});
