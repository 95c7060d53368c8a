import { describe, expect, it } from '@jest/globals';
import { type RpcStart } from '../../../lib/telemetry/rpc-lifecycle.js';
import {
  outcomeAttributes,
  peerServiceAttributes,
  requestProtocol,
  responseStatusCode,
  rpcAttributes,
  rpcSpanName,
  semconvModeFromEnv,
  sizeAttributes,
  splitHostPort,
  statusCodeName,
} from '../../../lib/telemetry/otel/rpc-attributes.js';

const serverStart: RpcStart = {
  side: 'server',
  service: 'EchoService',
  method: 'EchoBidi',
  kind: 'bidirectional',
  peer: '127.0.0.1:40000',
  timeoutMs: undefined,
  idlPackage: undefined,
  localService: undefined,
  headers: {},
};

const clientStart: RpcStart = {
  side: 'client',
  service: 'EchoService',
  method: 'Echo',
  kind: 'unary',
  peer: '[::1]:8888',
  timeoutMs: 100,
  idlPackage: undefined,
  localService: undefined,
  headers: {},
  destService: 'echo-svc',
  setHeader: () => undefined,
};

describe('rpc attributes', () => {
  it('reads OTEL_SEMCONV_STABILITY_OPT_IN as Kitex does not: rpc/dup wins over rpc', () => {
    expect(semconvModeFromEnv(undefined)).toBe('old');
    expect(semconvModeFromEnv('http')).toBe('old');
    expect(semconvModeFromEnv('http, rpc')).toBe('stable');
    expect(semconvModeFromEnv('rpc,rpc/dup')).toBe('dup');
  });

  it('names spans <IDL service>/<method>, with the package when known', () => {
    expect(rpcSpanName(serverStart)).toBe('EchoService/EchoBidi');
    expect(rpcSpanName(clientStart, 'echo')).toBe('echo.EchoService/Echo');
  });

  it("emits obs-opentelemetry's names by default", () => {
    expect(rpcAttributes(serverStart, { semconv: 'old' })).toEqual({
      'rpc.system': 'kitex',
      'rpc.service': 'EchoService',
      'rpc.method': 'EchoBidi',
      'request.protocol': 'TTHeaderStreaming',
    });
    expect(rpcAttributes(serverStart, { semconv: 'old', localService: 'my-svc' })).toMatchObject({
      'rpc.service': 'my-svc',
    });
    // The client's rpc.service is the callee's service name, as Kitex's To().ServiceName().
    expect(rpcAttributes(clientStart, { semconv: 'old' })).toEqual({
      'rpc.system': 'kitex',
      'rpc.service': 'echo-svc',
      'rpc.method': 'Echo',
      'request.protocol': 'TTHeader',
    });
  });

  it('emits the stable RPC conventions when opted in, both with dup', () => {
    expect(rpcAttributes(clientStart, { semconv: 'stable' })).toEqual({
      'rpc.system.name': 'kitex',
      'rpc.method': 'EchoService/Echo',
      'server.address': '::1',
      'server.port': 8888,
      'network.peer.address': '::1',
      'network.peer.port': 8888,
    });
    const dup = rpcAttributes(serverStart, { semconv: 'dup' });
    expect(dup).toMatchObject({
      'rpc.system': 'kitex',
      'rpc.system.name': 'kitex',
      'rpc.service': 'EchoService',
      'rpc.method': 'EchoService/EchoBidi',
      'network.peer.address': '127.0.0.1',
    });
    expect(dup['server.address']).toBeUndefined();
  });

  it('reads peer.* from the caller identity Kitex sends', () => {
    const values: Record<string, string> = { 'service.name': 'go-a', 'service.namespace': '' };
    expect(peerServiceAttributes((k) => values[k])).toEqual({ 'peer.service': 'go-a' });
  });

  it('records sizes only when known, and not in the stable mode', () => {
    expect(sizeAttributes(10, undefined, 'old')).toEqual({ 'kitex.recv_size': 10 });
    expect(sizeAttributes(10, 20, 'dup')).toEqual({
      'kitex.recv_size': 10,
      'kitex.send_size': 20,
    });
    expect(sizeAttributes(10, 20, 'stable')).toEqual({});
  });

  it('maps outcomes to attributes and statuses', () => {
    const biz = { kind: 'biz-error', code: 7, message: 'm', extra: undefined, error: 1 } as const;
    expect(outcomeAttributes(biz, 'old')).toEqual({
      'kitex.biz_status_code': 7,
      'kitex.biz_message': 'm',
    });
    expect(statusCodeName(biz)).toBe('Unset');
    const cancel = {
      kind: 'cancel',
      code: 12010,
      message: 'x',
      canceledPath: ['a', 'b'],
      error: undefined,
    } as const;
    expect(outcomeAttributes(cancel, 'dup')).toEqual({
      'kitex.error_code': 12010,
      'kitex.canceled_path': ['a', 'b'],
      'rpc.response.status_code': '12010',
      'error.type': '12010',
    });
    expect(statusCodeName(cancel)).toBe('Error');
    const exception = {
      kind: 'exception',
      code: undefined,
      typeId: undefined,
      declared: true,
      type: 'NotFound',
      message: 'x',
      error: undefined,
    } as const;
    expect(outcomeAttributes(exception, 'stable')).toEqual({
      'rpc.response.status_code': 'UNKNOWN',
      'error.type': 'NotFound',
    });
    expect(responseStatusCode({ kind: 'ok' })).toBe('OK');
    expect(
      responseStatusCode({
        kind: 'timeout',
        code: undefined,
        message: '',
        canceledPath: undefined,
        error: 0,
      }),
    ).toBe('DEADLINE_EXCEEDED');
    expect(outcomeAttributes({ kind: 'ok' }, 'old')).toEqual({});
  });

  it('splits host:port and [v6]:port', () => {
    expect(splitHostPort('a.b:1')).toEqual({ host: 'a.b', port: 1 });
    expect(splitHostPort('[::1]:2')).toEqual({ host: '::1', port: 2 });
    expect(splitHostPort('/tmp/sock')).toEqual({ host: '/tmp/sock', port: undefined });
    expect(splitHostPort(undefined)).toBeUndefined();
    expect(requestProtocol('oneway')).toBe('TTHeader');
  });
});
