/**
 * Golden frames captured from a real Kitex v0.16.3 peer (test/fixtures/kitex/*.hex, see the
 * README there): our decoder reads each one as Kitex meant it, and our encoder rebuilds it byte
 * for byte apart from the order of the key/value pairs (Go writes them from maps, in random order).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BizStatusError } from '../../../lib/errors/index.js';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { frameTypeName } from '../../../lib/protocol/frame-type.js';
import type { Frame } from '../../../lib/protocol/frame.js';
import { headersToMetainfo } from '../../../lib/protocol/metainfo.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import { bizErrorFromHeaders } from '../../../lib/transport/trailer-to-error.js';
import { CANCEL_TEXT, GOLDEN_DIR, GOLDEN_FILES, canonical, loadGolden } from './kitex-golden.js';

const FILES = GOLDEN_FILES;
const DIR = GOLDEN_DIR;

function decodeOne(bytes: Uint8Array): Frame {
  const frames = new FrameDecoder().push(bytes);
  expect(frames).toHaveLength(1);
  return frames[0] as Frame;
}

const echo = loadThriftIdl('sample/idl/echo.thrift').services.get('TestService');

function exceptionOf(frame: Frame): {
  method: string;
  seqId: number;
  typeId: number;
  message: string;
} {
  return { ...decodeApplicationExceptionMessage(frame.payload) };
}

/** Payload and key checks specific to each captured frame. */
const PAYLOAD_CHECKS: Record<string, (frame: Frame) => void> = {
  'client-data.hex': (f) => {
    const method = echo?.methods.get(f.method);
    if (method === undefined || method.mode === 'unary') throw new Error('no codec');
    expect(method.requestCodec.decode(f.payload)).toEqual({
      message: 'hello',
      userId: 0n,
      count: 3,
    });
  },
  'server-data.hex': (f) => {
    const method = echo?.methods.get(f.method);
    if (method === undefined || method.mode === 'unary') throw new Error('no codec');
    expect(method.responseCodec.decode(f.payload)).toEqual({ message: 'hello', index: 0 });
  },
  'client-header-metainfo.hex': (f) => {
    const mi = headersToMetainfo(f.strHeaders);
    expect({ transient: { ...mi.transient }, persistent: { ...mi.persistent } }).toEqual({
      transient: { k2: 'v2' },
      persistent: { k1: 'v1' },
    });
  },
  'server-trailer-biz-error.hex': (f) => {
    const error = bizErrorFromHeaders(f.strHeaders, 'client');
    expect(error).toBeInstanceOf(BizStatusError);
    const biz = error as BizStatusError;
    expect([biz.bizStatusCode, biz.bizMessage, biz.bizExtra]).toEqual([
      10001,
      'insufficient user balance',
      { testKey: 'testVal' },
    ]);
  },
  'server-trailer-exception.hex': (f) => {
    expect(exceptionOf(f)).toEqual({
      method: 'ServerStreamWithErr',
      seqId: 1,
      typeId: 6,
      message: 'biz error: test error',
    });
  },
  'server-trailer-after-rst.hex': (f) => {
    expect(exceptionOf(f)).toEqual({
      method: 'Echo',
      seqId: 1,
      typeId: 6,
      message: `biz error: [ttstream error, code=12007] [server-side stream] [canceled path: A] ${CANCEL_TEXT}`,
    });
  },
  'client-rst-cancel.hex': (f) => {
    expect(exceptionOf(f)).toEqual({
      method: 'Echo',
      seqId: 1,
      typeId: 12007,
      message: CANCEL_TEXT,
    });
  },
  'client-rst-cancel-no-service-name.hex': (f) => {
    expect(f.strHeaders.size).toBe(0);
    expect(exceptionOf(f)).toMatchObject({ typeId: 12007, message: CANCEL_TEXT });
  },
  'client-rst-after-trailer.hex': (f) => {
    expect(exceptionOf(f)).toMatchObject({
      method: 'EchoClient',
      typeId: 12007,
      message: CANCEL_TEXT,
    });
  },
  'client-rst-cascade.hex': (f) => {
    expect(f.strHeaders.get('ttscp')).toBe('A,B');
    expect(exceptionOf(f)).toMatchObject({ method: 'Echo', typeId: 12007, message: CANCEL_TEXT });
  },
  'client-rst-deadline.hex': (f) => {
    const ex = exceptionOf(f);
    expect(ex.typeId).toBe(12015);
    expect(ex.message).toMatch(/^stream timeout, timeout in ctx: [0-9.]+(ns|µs|ms|s)$/);
  },
  'client-rst-recv-timeout.hex': (f) => {
    expect(exceptionOf(f)).toMatchObject({
      typeId: 12014,
      message: 'stream Recv timeout, timeout config={Timeout:200ms DisableCancelRemote:false}',
    });
  },
};

describe('golden frames from Kitex', () => {
  it('has the captured frames', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(19);
    for (const file of FILES) expect(loadGolden(file).kitexVersion).toBe('v0.16.3');
  });

  it.each(FILES)('%s: decodes to what Kitex sent', (file) => {
    const g = loadGolden(file);
    expect(g.bytes.length).toBe(g.total);
    const f = decodeOne(g.bytes);
    expect(frameTypeName(f.type)).toBe(g.typeName);
    expect(f.type).toBe(Number(g.ints['27']));
    expect(f.streamId).toBe(g.sid);
    expect(f.method).toBe(g.method);
    expect(f.method).toBe(g.ints['9']);
    const otherInts = Object.fromEntries(
      Object.entries(g.ints).filter(([k]) => k !== '27' && k !== '9'),
    );
    expect(Object.fromEntries([...f.intHeaders].map(([k, v]) => [String(k), v]))).toEqual(
      otherInts,
    );
    expect(Object.fromEntries(f.strHeaders)).toEqual(g.strs);
    expect(f.payload.length).toBe(g.payloadBytes);
    PAYLOAD_CHECKS[file]?.(f);
  });

  it.each(FILES)('%s: re-encodes to the same bytes up to key order', (file) => {
    const g = loadGolden(file);
    const f = decodeOne(g.bytes);
    const again = encodeFrame({
      type: f.type,
      streamId: f.streamId,
      method: f.method,
      intHeaders: f.intHeaders,
      strHeaders: f.strHeaders,
      payload: f.payload,
    });
    expect(again.length).toBe(g.bytes.length);
    expect(Buffer.from(again).readUInt16BE(12) * 4).toBe(g.headerBytes);
    expect(canonical(again)).toEqual(canonical(g.bytes));
    const back = decodeOne(again);
    expect({ ...back, intHeaders: [...back.intHeaders], strHeaders: [...back.strHeaders] }).toEqual(
      {
        ...f,
        intHeaders: [...f.intHeaders],
        strHeaders: [...f.strHeaders],
      },
    );
  });

  it('the key-order-free comparison ignores pair order only', () => {
    const g = loadGolden('server-trailer-biz-error.hex');
    const f = decodeOne(g.bytes);
    const reversed = encodeFrame({ ...f, strHeaders: new Map([...f.strHeaders].reverse()) });
    const forward = encodeFrame({ ...f, strHeaders: new Map(f.strHeaders) });
    expect(Buffer.from(reversed).equals(Buffer.from(forward))).toBe(false);
    expect(canonical(reversed)).toEqual(canonical(forward));
    const changed = Uint8Array.from(g.bytes);
    changed[40] = (changed[40] ?? 0) ^ 1;
    expect(canonical(changed)).not.toEqual(canonical(g.bytes));
  });

  it('every frame of capture.jsonl decodes with the keys the tap saw', () => {
    const lines = readFileSync(join(DIR, 'capture.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            event?: string;
            hex?: string;
            sid?: number;
            type?: string;
            method?: string;
            int?: Record<string, string>;
            str?: Record<string, string>;
            payload_len?: number;
          },
      )
      .filter((r) => r.event === undefined && r.hex !== undefined && r.hex !== '');
    expect(lines.length).toBeGreaterThanOrEqual(79);
    for (const r of lines) {
      const bytes = Uint8Array.from(Buffer.from(r.hex ?? '', 'hex'));
      const f = decodeOne(bytes);
      expect([f.type, f.streamId, f.method, f.payload.length]).toEqual([
        Number(r.type),
        r.sid,
        r.method,
        r.payload_len,
      ]);
      expect(Object.fromEntries(f.strHeaders)).toEqual(r.str ?? {});
      const again = encodeFrame(f);
      expect(canonical(again)).toEqual(canonical(bytes));
    }
  });
});
