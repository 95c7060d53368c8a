import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import type { StreamMode } from '../../../lib/transport/server-stream.js';
import type { TTStreamServerTransport } from '../../../lib/transport/server-transport.js';
import type { ClientStream } from '../../../lib/transport/client-stream.js';
import { stringCodec } from '../../helpers/codecs.js';
import { call, registerEcho, SERVICE } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { collect, rejectionOf } from '../../helpers/wait.js';

const KINDS: readonly StreamMode[] = ['bidirectional', 'client', 'server'];
const METHOD: Record<StreamMode, string> = {
  bidirectional: 'FailBidi',
  client: 'FailClient',
  server: 'FailServer',
};

/** Methods that exchange 2 messages, set a trailer key, then throw `makeError()`. */
function registerFailing(server: TTStreamServerTransport, makeError: () => unknown): void {
  for (const mode of KINDS) {
    server.register(SERVICE, METHOD[mode], {
      mode,
      requestCodec: stringCodec,
      responseCodec: stringCodec,
      handler: async (stream) => {
        stream.setTrailer('x-user-trailer', 'kept');
        if (mode === 'server') {
          await stream.recv();
          await stream.send('r0');
          await stream.send('r1');
        } else {
          for (let i = 0; i < 2; i++) {
            const next = await stream.recv();
            if (mode === 'bidirectional' && next.done !== true) await stream.send(`r${i}`);
          }
        }
        throw makeError();
      },
    });
  }
}

/** Drives one stream of `mode` far enough for the server to fail, returning what arrived. */
async function drive(
  stream: ClientStream<string, string>,
  mode: StreamMode,
): Promise<{ messages: string[]; error: unknown }> {
  if (mode === 'server') {
    await stream.send('go');
    await stream.closeSend();
  } else {
    await stream.send('q0');
    await stream.send('q1');
  }
  const messages = await received(stream);
  const error = await rejectionOf(stream.done);
  return { messages, error };
}

async function received(stream: ClientStream<string, string>): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const m of stream) out.push(m);
  } catch {
    // the terminal error is checked separately
  }
  return out;
}

describe('L-2 biz_error_midstream', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it.each(KINDS)(
    '%s: data first, then the biz error with code, message and extra',
    async (mode) => {
      loop = await startLoopback((s) => {
        registerFailing(s, () => new BizStatusError(10001, 'insufficient balance', { k: 'v' }));
      });
      const stream = loop.client.openStream(call(METHOD[mode]));
      if (mode === 'server') {
        await stream.send('go');
        await stream.closeSend();
      } else {
        await stream.send('q0');
        await stream.send('q1');
      }
      const messages = await received(stream);
      expect(messages).toEqual(mode === 'client' ? [] : ['r0', 'r1']);
      const error = await rejectionOf(stream.done);
      expect(error).toBeInstanceOf(BizStatusError);
      const biz = error as BizStatusError;
      expect(biz.bizStatusCode).toBe(10001);
      expect(biz.bizMessage).toBe('insufficient balance');
      expect(biz.bizExtra).toEqual({ k: 'v' });
      const trailer = await stream.trailer();
      expect(trailer.get('biz-status')).toBe('10001');
      expect(trailer.get('biz-extra')).toBe('{"k":"v"}');
      expect(trailer.get('x-user-trailer')).toBe('kept');
      // Later sends and receives return the same error.
      await expect(stream.send('late')).rejects.toBe(error);
      await expect(stream.recv()).rejects.toBe(error);
    },
  );

  it('without extra sends no biz-extra key', async () => {
    loop = await startLoopback((s) => {
      registerFailing(s, () => new BizStatusError(404, 'not found'));
    });
    const stream = loop.client.openStream(call(METHOD.server));
    const { error } = await drive(stream, 'server');
    expect((error as BizStatusError).bizExtra).toBeUndefined();
    expect((await stream.trailer()).has('biz-extra')).toBe(false);
  });
});

describe('L-3 app_error', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it.each(KINDS)('%s: Error("boom") -> 12001 with type 6 "biz error: boom"', async (mode) => {
    loop = await startLoopback((s) => {
      registerFailing(s, () => new Error('boom'));
      registerEcho(s);
    });
    const healthy = loop.client.openStream(call('Echo'));
    await healthy.send('before');
    const stream = loop.client.openStream(call(METHOD[mode]));
    const { messages, error } = await drive(stream, mode);
    expect(messages).toEqual(mode === 'client' ? [] : ['r0', 'r1']);
    expect(error).toBeInstanceOf(ApplicationException);
    const ex = error as ApplicationException;
    expect(ex.code).toBe(TTStreamErrorCode.ApplicationException);
    expect(ex.typeId).toBe(6);
    expect(ex.applicationMessage).toBe('biz error: boom');
    expect(ex.message).toBe('[ttstream error, code=12001] [client-side stream] biz error: boom');
    expect((await stream.trailer()).get('x-user-trailer')).toBe('kept');
    // The connection and other streams are unaffected.
    expect(await healthy.recv()).toEqual({ done: false, value: 'before' });
    await healthy.closeSend();
    await healthy.done;
    expect(loop.client.stats().connections).toBe(1);
  });

  it('an ApplicationException keeps its type id and message', async () => {
    loop = await startLoopback((s) => {
      registerFailing(s, () => new ApplicationException(7, 'protocol trouble'));
    });
    const stream = loop.client.openStream(call(METHOD.server));
    const { error } = await drive(stream, 'server');
    expect((error as ApplicationException).typeId).toBe(7);
    expect((error as ApplicationException).applicationMessage).toBe('protocol trouble');
  });

  it('hideErrorMessages hides the message', async () => {
    loop = await startLoopback(
      (s) => {
        registerFailing(s, () => new Error('secret'));
      },
      {
        server: { hideErrorMessages: true },
      },
    );
    const stream = loop.client.openStream(call(METHOD.server));
    const { error } = await drive(stream, 'server');
    expect((error as ApplicationException).applicationMessage).toBe('biz error: internal error');
  });

  it('mapError can turn any error into a biz error', async () => {
    loop = await startLoopback(
      (s) => {
        registerFailing(s, () => new Error('mapped'));
      },
      {
        server: { mapError: (e) => new BizStatusError(400, (e as Error).message) },
      },
    );
    const stream = loop.client.openStream(call(METHOD.server));
    const { error } = await drive(stream, 'server');
    expect(error).toBeInstanceOf(BizStatusError);
    expect((error as BizStatusError).bizStatusCode).toBe(400);
  });
});

describe('routing (policy 2) and metadata', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it('unknown method: HEADER + TRAILER with type 1', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('Nope'));
    const error = await rejectionOf(stream.done);
    expect((error as ApplicationException).typeId).toBe(1);
    await expect(stream.header()).resolves.toEqual(new Map());
  });

  it('unknown service: type 20; empty isn falls back to the method', async () => {
    loop = await startLoopback(registerEcho);
    const unknown = loop.client.openStream(call('Nope', 'OtherService'));
    expect(((await rejectionOf(unknown.done)) as ApplicationException).typeId).toBe(20);
    const fallback = loop.client.openStream(call('Echo', 'OtherService'));
    await fallback.send('x');
    await fallback.closeSend();
    expect(await collect(fallback)).toEqual(['x']);
    const empty = loop.client.openStream(call('Echo', ''));
    await empty.closeSend();
    await empty.done;
  });

  it('headers, metainfo, response header and trailer keys travel', async () => {
    let seen: { headers: ReadonlyMap<string, string>; metainfo: unknown } | undefined;
    loop = await startLoopback((s) => {
      s.register(SERVICE, 'Meta', {
        mode: 'bidirectional',
        requestCodec: stringCodec,
        responseCodec: stringCodec,
        handler: async (stream) => {
          seen = { headers: stream.headers, metainfo: stream.metainfo };
          stream.setHeader('x-echo-initial', stream.headers.get('x-echo-initial') ?? '');
          await stream.sendHeader();
          await expect(stream.sendHeader()).rejects.toMatchObject({ kind: 12002 });
          expect(() => {
            stream.setHeader('late', 'x');
          }).toThrow(TTStreamError);
          stream.setTrailer('x-echo-trailing', 'a,b:c=☺😈');
          for await (const m of stream) await stream.send(m);
        },
      });
    });
    const stream = loop.client.openStream(call('Meta'), {
      headers: { 'x-echo-initial': 'test_initial_metadata_value' },
      metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
    });
    expect((await stream.header()).get('x-echo-initial')).toBe('test_initial_metadata_value');
    await stream.closeSend();
    await stream.done;
    expect((await stream.trailer()).get('x-echo-trailing')).toBe('a,b:c=☺😈');
    expect(seen?.headers.get('isn')).toBe(SERVICE);
    expect(seen?.metainfo).toEqual({ transient: { k2: 'v2' }, persistent: { k1: 'v1' } });
  });
});
