import { describe, expect, it } from '@jest/globals';
import {
  type ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import type { Frame } from '../../../lib/protocol/frame.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import { appendCancelPath, cancelError, goDuration } from '../../../lib/transport/cancel-errors.js';
import { trailerFromError } from '../../../lib/transport/error-to-trailer.js';
import { errorFromRst, errorFromTrailer } from '../../../lib/transport/trailer-to-error.js';

function frame(
  type: number,
  keys: Record<string, string>,
  payload: Uint8Array = new Uint8Array(0),
): Frame {
  return {
    type,
    streamId: 1,
    method: 'M',
    intHeaders: new Map(),
    strHeaders: new Map(Object.entries(keys)),
    payload,
  };
}

const options = { method: 'ServerStream', streamId: 1 };

describe('trailerFromError (policy 1) and back', () => {
  it('success: no keys, no payload', () => {
    expect(trailerFromError(undefined, options)).toEqual({
      strHeaders: new Map(),
      payload: undefined,
    });
  });

  it('BizStatusError: biz keys (extra as compact JSON), no payload; round-trips', () => {
    const content = trailerFromError(
      new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' }),
      options,
    );
    expect(Object.fromEntries(content.strHeaders)).toEqual({
      'biz-status': '10001',
      'biz-message': 'insufficient user balance',
      'biz-extra': '{"testKey":"testVal"}',
    });
    expect(content.payload).toBeUndefined();
    const back = errorFromTrailer(
      frame(FrameType.Trailer, Object.fromEntries(content.strHeaders)),
      'client',
    );
    expect(back).toBeInstanceOf(BizStatusError);
    expect(back).toMatchObject({ bizStatusCode: 10001, bizExtra: { testKey: 'testVal' } });
  });

  it('an object with bizStatusCode is a biz error too', () => {
    const content = trailerFromError({ bizStatusCode: 404, bizMessage: 'not found' }, options);
    expect(content.strHeaders.get('biz-status')).toBe('404');
    expect(content.strHeaders.has('biz-extra')).toBe(false);
  });

  it('Error -> type 6 "biz error: <message>" (vector V7)', () => {
    const content = trailerFromError(new Error('test error'), options);
    expect(Buffer.from(content.payload!).toString('hex')).toBe(
      '800100030000000c53657276657253747265616d000000010b00010000001562697a206572726f723a2074657374206572726f720800020000000600',
    );
    const back = errorFromTrailer(
      frame(FrameType.Trailer, {}, content.payload),
      'client',
    ) as ApplicationException;
    expect(back.message).toBe(
      '[ttstream error, code=12001] [client-side stream] biz error: test error',
    );
    expect(back.remote).toBe(true);
  });

  it('a thrown non-Error value and a TTStreamError', () => {
    const text = decodeApplicationExceptionMessage(trailerFromError('plain', options).payload!);
    expect(text).toMatchObject({ typeId: 6, message: 'biz error: plain' });
    const tt = new TTStreamError(TTStreamErrorCode.StreamTimeout, { side: 'server' });
    const ex = decodeApplicationExceptionMessage(trailerFromError(tt, options).payload!);
    expect(ex).toMatchObject({ typeId: 12015, message: tt.message });
  });

  it('errorFromRst defaults to code 13 "rst" and reads ttscp', () => {
    const empty = errorFromRst(frame(FrameType.Rst, {}), 'server');
    expect(empty).toMatchObject({ kind: 12010, code: 13, detail: 'rst', canceledPath: undefined });
    const withPath = errorFromRst(frame(FrameType.Rst, { ttscp: 'A,' }), 'client');
    expect(withPath.canceledPath).toEqual(['A', '']);
    expect(withPath.kind).toBe(12009);
  });
});

describe('cancel helpers', () => {
  it.each([
    [0, '0s'],
    [200, '200ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
  ])('goDuration(%i) = %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });

  it('appendCancelPath follows Kitex', () => {
    expect(appendCancelPath(undefined, '')).toEqual([]);
    expect(appendCancelPath(undefined, 'A')).toEqual(['A']);
    expect(appendCancelPath(['A'], 'B')).toEqual(['A', 'B']);
    expect(appendCancelPath(['A'], '')).toEqual(['A', '']);
  });

  it('cancelError maps reasons', () => {
    expect(cancelError(undefined).kind).toBe(12007);
    expect(cancelError(new DOMException('x', 'AbortError')).kind).toBe(12007);
    expect(cancelError(new DOMException('x', 'TimeoutError'), 100).message).toContain(
      'timeout in ctx: 100ms',
    );
    expect(cancelError(new Error('why')).kind).toBe(12008);
  });
});
