import { afterEach, describe, expect, it } from '@jest/globals';
import { type TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import type { ClientStream } from '../../../lib/transport/client-stream.js';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { stringCodec } from '../../helpers/codecs.js';
import { call, SERVICE } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { aborted, HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';

// M-5 over loopback: A (client 'A') -> B (our server; its handler calls C as client 'B') -> C.
describe('cascading cancel (spec 4.4)', () => {
  let c: Loopback | undefined;
  let b: Loopback | undefined;
  let toC: TTStreamClientTransport | undefined;
  const records: ProbeRecord[] = [];
  const downstream: ClientStream<string, string>[] = [];
  afterEach(async () => {
    await b?.close();
    await toC?.close();
    await c?.close();
    b = c = toC = undefined;
    records.length = 0;
    downstream.length = 0;
  });

  async function start(returnEarly: boolean, cascade?: boolean): Promise<void> {
    c = await startLoopback((s) => {
      registerHold(s, records);
    });
    toC = new TTStreamClientTransport(c.address, { serviceName: 'B', poolSize: 1 });
    b = await startLoopback(
      (s) => {
        s.register(SERVICE, 'Relay', {
          mode: 'bidirectional',
          requestCodec: stringCodec,
          responseCodec: stringCodec,
          handler: async (stream) => {
            // No explicit parent: found through AsyncLocalStorage.
            const next = toC!.openStream(call(HOLD.bidirectional));
            downstream.push(next);
            await next.send('sleep');
            await stream.send('relaying');
            if (returnEarly) return;
            await aborted(stream.signal);
          },
        });
      },
      { client: { serviceName: 'A' }, server: { cascade } },
    );
  }

  it('cascade: false: a downstream stream opened by a handler has no parent', async () => {
    await start(true, false);
    const stream = b!.client.openStream(call('Relay'));
    expect(await stream.recv()).toEqual({ done: false, value: 'relaying' });
    await stream.closeSend();
    await stream.done; // the handler returned
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(downstream[0]!.isEnded).toBe(false);
    downstream[0]!.cancel();
  });

  it('A cancels: C sees 12010 with code 12007 and path A,B', async () => {
    await start(false);
    const stream = b!.client.openStream(call('Relay'));
    expect(await stream.recv()).toEqual({ done: false, value: 'relaying' });
    await waitFor(() => records.length === 1, 'C stream');
    stream.cancel();
    const reason = (await records[0]!.ended) as TTStreamError;
    expect(reason.kind).toBe(TTStreamErrorCode.CanceledByUpstream);
    expect(reason.code).toBe(TTStreamErrorCode.BizCancel);
    expect(reason.canceledPath).toEqual(['A', 'B']);
    expect(reason.message).toContain('[canceled path: A -> B]');
    const local = (await rejectionOf(downstream[0]!.done)) as TTStreamError;
    expect(local.code).toBe(TTStreamErrorCode.BizCancel);
    expect(local.side).toBe('client');
  });

  it("B's handler returns first: C sees 12012 with path B", async () => {
    await start(true);
    const stream = b!.client.openStream(call('Relay'));
    expect(await stream.recv()).toEqual({ done: false, value: 'relaying' });
    await stream.closeSend();
    await stream.done;
    await waitFor(() => records.length === 1, 'C stream');
    const reason = (await records[0]!.ended) as TTStreamError;
    expect(reason.kind).toBe(TTStreamErrorCode.CanceledByUpstream);
    expect(reason.code).toBe(TTStreamErrorCode.CanceledByHandlerReturn);
    expect(reason.canceledPath).toEqual(['B']);
    await expect(downstream[0]!.done).rejects.toMatchObject({ code: 12012 });
  });

  it('parent: null opts out of cascading', async () => {
    await start(true);
    // Opened outside any handler with an explicit null parent: unaffected by anything.
    const independent = toC!.openStream(call(HOLD.bidirectional), { parent: null });
    await independent.send('x');
    expect(await independent.recv()).toEqual({ done: false, value: 'x' });
    await independent.closeSend();
    await independent.done;
  });
});
