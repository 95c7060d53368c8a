import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type ClientRpcStart } from '../../../lib/telemetry/rpc-lifecycle.js';
import {
  metainfoGetter,
  metainfoSetter,
  transitMetainfo,
  transitValue,
} from '../../../lib/telemetry/otel/metainfo-carrier.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

describe('metainfo carrier', () => {
  it('keeps transient metainfo only, keys normalised as Kitex does, transient over upstream', () => {
    const map = transitMetainfo({
      RPC_TRANSIT_traceparent: 'a',
      RPC_TRANSIT_OT_TRACER_TRACEID: 'b',
      RPC_TRANSIT_UPSTREAM_traceparent: 'stale',
      RPC_TRANSIT_UPSTREAM_b3: 'c',
      RPC_PERSIST_tracestate: 'not trace context',
      isn: 'EchoService',
    });
    expect(Object.fromEntries(map)).toEqual({
      traceparent: 'a',
      'ot-tracer-traceid': 'b',
      b3: 'c',
    });
    expect(metainfoGetter.get(map, 'OT_TRACER_TRACEID')).toBe('b');
    // Transient wins whichever comes first.
    const reversed = transitMetainfo({
      RPC_TRANSIT_UPSTREAM_traceparent: 'stale',
      RPC_TRANSIT_traceparent: 'a',
    });
    expect(reversed.get('traceparent')).toBe('a');
    expect(metainfoGetter.keys(map)).toEqual(['traceparent', 'ot-tracer-traceid', 'b3']);
  });

  it('reads exact keys for the caller identity, transient first', () => {
    const headers = {
      'RPC_TRANSIT_service.name': 'a',
      'RPC_TRANSIT_UPSTREAM_service.name': 'b',
      'RPC_TRANSIT_UPSTREAM_service.namespace': 'ns',
    };
    expect(transitValue(headers, 'service.name')).toBe('a');
    expect(transitValue(headers, 'service.namespace')).toBe('ns');
    expect(transitValue(headers, 'deployment.environment')).toBeUndefined();
  });

  it('round-trips W3C trace context through RPC_TRANSIT_ headers', () => {
    const propagator = new W3CTraceContextPropagator();
    const sent: Record<string, string> = {};
    const start = {
      setHeader: (k: string, v: string) => (sent[k] = v),
    } as unknown as ClientRpcStart;
    const context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
    });
    propagator.inject(context, start, metainfoSetter);
    expect(sent).toEqual({ RPC_TRANSIT_traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });

    const extracted = propagator.extract(ROOT_CONTEXT, transitMetainfo(sent), metainfoGetter);
    expect(trace.getSpanContext(extracted)).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      isRemote: true,
    });
  });
});
