import { describe, expect, it } from '@jest/globals';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import {
  headersToMetainfo,
  METAINFO_PERSISTENT_PREFIX,
  METAINFO_TRANSIENT_PREFIX,
  metainfoToHeaders,
} from '../../../lib/protocol/metainfo.js';
import { loadFixture, toHex } from './helpers.js';

describe('metainfoToHeaders', () => {
  it('prefixes transient and persistent values', () => {
    expect(METAINFO_TRANSIENT_PREFIX).toBe('RPC_TRANSIT_');
    expect(METAINFO_PERSISTENT_PREFIX).toBe('RPC_PERSIST_');
    const headers = metainfoToHeaders({ transient: { k2: 'v2' }, persistent: { k1: 'v1' } });
    expect([...headers]).toEqual([
      ['RPC_TRANSIT_k2', 'v2'],
      ['RPC_PERSIST_k1', 'v1'],
    ]);
  });

  it('reproduces spec vector V1 with metainfo when merged after isn', () => {
    const strHeaders = new Map([
      ['isn', 'TestService'],
      ...metainfoToHeaders({ transient: { k2: 'v2' }, persistent: { k1: 'v1' } }),
    ]);
    const bytes = encodeFrame({ type: 2, streamId: 1, method: 'ServerStream', strHeaders });
    expect(toHex(bytes)).toBe(toHex(loadFixture('v1-client-header-metainfo.hex')));
  });

  it('drops pairs with an empty key or value, as Kitex WithValue does', () => {
    const headers = metainfoToHeaders({
      transient: { '': 'x', a: '', b: 'y' },
      persistent: { '': 'z', c: '' },
    });
    expect([...headers]).toEqual([['RPC_TRANSIT_b', 'y']]);
  });

  it('accepts either part missing', () => {
    expect(metainfoToHeaders({}).size).toBe(0);
    expect([...metainfoToHeaders({ persistent: { p: '1' } })]).toEqual([['RPC_PERSIST_p', '1']]);
  });
});

describe('headersToMetainfo', () => {
  it('reads the metainfo of a decoded HEADER frame (V1 with metainfo)', () => {
    const [frame] = new FrameDecoder().push(loadFixture('v1-client-header-metainfo.hex'));
    const metainfo = headersToMetainfo(frame!.strHeaders);
    expect({ ...metainfo.transient }).toEqual({ k2: 'v2' });
    expect({ ...metainfo.persistent }).toEqual({ k1: 'v1' });
  });

  it('returns null-prototype records, safe for __proto__ keys', () => {
    const metainfo = headersToMetainfo(
      new Map([
        ['RPC_TRANSIT___proto__', 'x'],
        ['RPC_PERSIST_constructor', 'y'],
      ]),
    );
    expect(Object.getPrototypeOf(metainfo.transient)).toBeNull();
    expect(Object.getPrototypeOf(metainfo.persistent)).toBeNull();
    expect(Object.keys(metainfo.transient)).toEqual(['__proto__']);
    expect(metainfo.transient['__proto__']).toBe('x');
    expect(metainfo.persistent['constructor']).toBe('y');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('ignores other keys, empty values and empty names', () => {
    const metainfo = headersToMetainfo(
      new Map([
        ['isn', 'TestService'],
        ['rpc_transit_lower', 'no'],
        ['RPC_TRANSIT_', 'empty name'],
        ['RPC_PERSIST_', 'empty name'],
        ['RPC_TRANSIT_UPSTREAM_', 'empty name'],
        ['RPC_TRANSIT_e', ''],
        ['RPC_PERSIST_f', ''],
        ['RPC_TRANSIT_ok', '1'],
      ]),
    );
    expect({ ...metainfo.transient }).toEqual({ ok: '1' });
    expect({ ...metainfo.persistent }).toEqual({});
  });

  it('reads RPC_TRANSIT_UPSTREAM_<k> as transient <k>; RPC_TRANSIT_<k> wins over it', () => {
    const metainfo = headersToMetainfo(
      new Map([
        ['RPC_TRANSIT_UPSTREAM_a', 'from upstream'],
        ['RPC_TRANSIT_UPSTREAM_b', 'old'],
        ['RPC_TRANSIT_b', 'new'],
      ]),
    );
    expect({ ...metainfo.transient }).toEqual({ a: 'from upstream', b: 'new' });
  });

  it('round-trips through metainfoToHeaders', () => {
    const transient = { a: '1', 'x-y': 'z' };
    const persistent = { trace: 'abc' };
    const back = headersToMetainfo(metainfoToHeaders({ transient, persistent }));
    expect({ ...back.transient }).toEqual(transient);
    expect({ ...back.persistent }).toEqual(persistent);
  });
});
