import { describe, expect, it } from '@jest/globals';
import { TTStreamContext } from '../../../lib/server/ttstream.context.js';
import { metainfoFromHeaders, metainfoToHeaders } from '../../../lib/server/metainfo.js';
import { FakeCall } from './fake-binding.js';

describe('TTStreamContext', () => {
  const call = new FakeCall(7, 'TestService', 'Echo', 'bidirectional', {
    isn: 'TestService',
    authorization: 'Bearer x',
    RPC_TRANSIT_tenant: 't1',
    RPC_TRANSIT_UPSTREAM_hop: 'h',
    RPC_PERSIST_trace: 'abc',
    RPC_PERSIST_empty: '',
  });
  const ctx = new TTStreamContext(call);

  it('exposes the stream, its method and its headers', () => {
    expect(ctx.getStreamId()).toBe(7);
    expect(ctx.getService()).toBe('TestService');
    expect(ctx.getMethod()).toBe('Echo');
    expect(ctx.getPattern()).toBe('TestService.Echo');
    expect(ctx.getMode()).toBe('bidirectional');
    expect(ctx.getHeader('authorization')).toBe('Bearer x');
    expect(ctx.getHeader('toString')).toBeUndefined();
    expect(ctx.getRemoteAddress()).toBe('127.0.0.1:1');
    expect(ctx.getArgs()).toEqual([call]);
  });

  it('splits Kitex metainfo', () => {
    expect(ctx.getMetainfo()).toEqual({
      transient: { tenant: 't1', hop: 'h' },
      persistent: { trace: 'abc' },
    });
    expect(metainfoToHeaders(metainfoFromHeaders(ctx.getHeaders()))).toEqual({
      RPC_TRANSIT_tenant: 't1',
      RPC_TRANSIT_hop: 'h',
      RPC_PERSIST_trace: 'abc',
    });
  });

  it('sets response header and trailer keys; the header is frozen once sent', async () => {
    ctx.setHeader('x-handler', 'TestService.Echo');
    ctx.setHeader({ a: '1' });
    ctx.setTrailer('x-sent', '0');
    ctx.setTrailer({ b: '2' });
    await ctx.sendHeader({ c: '3' });
    expect(call.header).toEqual({ 'x-handler': 'TestService.Echo', a: '1', c: '3' });
    expect(call.trailer).toEqual({ 'x-sent': '0', b: '2' });
    expect(() => {
      ctx.setHeader('late', 'x');
    }).toThrow();
  });

  it('signal follows the stream', () => {
    expect(ctx.signal.aborted).toBe(false);
    call.controller.abort(new Error('rst'));
    expect(ctx.signal.aborted).toBe(true);
  });
});
