import { describe, expect, it } from '@jest/globals';
import {
  DnsResolver,
  type DnsLookup,
  filterByTags,
  normalizeInstances,
  noInstanceError,
  parseHostPort,
  ServiceDiscoveryError,
  StaticResolver,
} from '../../../lib/discovery/index.js';
import { rejectionOf } from '../../helpers/wait.js';

describe('normalizeInstances', () => {
  it('skips malformed entries (reported), merges duplicates, maps weight <= 0 to 10', () => {
    const skipped: string[] = [];
    const list = normalizeInstances(
      [
        '10.0.0.1:80',
        { host: '10.0.0.1', port: 80, weight: 50 },
        { host: '10.0.0.2', port: 81, weight: 0, tags: { zone: 'a', bad: 3 } },
        { host: '10.0.0.3', port: 82, weight: -5 },
        { host: '10.0.0.4', port: 83, weight: Number.NaN },
        { host: '', port: 80 },
        { host: 'x', port: 70000 },
        { host: 'x', port: 1.5 },
        'no-port',
        '[::1]:9',
        null,
        42,
      ],
      (_, reason) => skipped.push(reason),
    );
    expect(list).toEqual([
      { host: '10.0.0.1', port: 80, weight: 10, tags: {} },
      { host: '10.0.0.2', port: 81, weight: 10, tags: { zone: 'a' } },
      { host: '10.0.0.3', port: 82, weight: 10, tags: {} },
      { host: '10.0.0.4', port: 83, weight: 10, tags: {} },
      { host: '::1', port: 9, weight: 10, tags: {} },
    ]);
    expect(skipped).toHaveLength(7);
    expect(skipped[0]).toBe('duplicate address 10.0.0.1:80');
  });

  it('parses host:port, [v6]:port and a bare host with a default port', () => {
    expect(parseHostPort('a.b:1')).toEqual({ host: 'a.b', port: 1 });
    expect(parseHostPort('[fe80::1]:2')).toEqual({ host: 'fe80::1', port: 2 });
    expect(parseHostPort('fe80::1', 3)).toEqual({ host: 'fe80::1', port: 3 });
    expect(parseHostPort('host', 4)).toEqual({ host: 'host', port: 4 });
    expect(parseHostPort('host')).toBeUndefined();
    expect(parseHostPort('host:0x10')).toBeUndefined();
    expect(parseHostPort('host:')).toBeUndefined();
    expect(parseHostPort('[::1')).toBeUndefined();
  });
});

describe('StaticResolver', () => {
  it('resolves the given lists; update() replaces a list and tells watchers', async () => {
    const resolver = new StaticResolver({
      echo: ['127.0.0.1:1', { host: '127.0.0.1', port: 2, weight: 30 }],
    });
    expect((await resolver.resolve('echo')).map((i) => [i.port, i.weight])).toEqual([
      [1, 10],
      [2, 30],
    ]);
    const seen: number[][] = [];
    const stop = resolver.watch('echo', (list) => seen.push(list.map((i) => i.port)));
    resolver.update('echo', ['127.0.0.1:3']);
    stop();
    resolver.update('echo', []);
    expect(seen).toEqual([[3]]);
    expect(await resolver.resolve('echo')).toEqual([]);
  });

  it('rejects with a typed error naming an unknown service', async () => {
    const error = await rejectionOf(new StaticResolver().resolve('nope'));
    expect(error).toBeInstanceOf(ServiceDiscoveryError);
    expect((error as ServiceDiscoveryError).service).toBe('nope');
    expect((error as Error).message).toContain("'nope'");
  });
});

describe('DnsResolver', () => {
  it('makes one instance per address of the looked-up name, at its port', async () => {
    const asked: unknown[] = [];
    const lookup: DnsLookup = (host, options) => {
      asked.push([host, options.family]);
      return Promise.resolve([
        { address: '10.1.0.1', family: 4 },
        { address: '10.1.0.2', family: 4 },
        { address: '10.1.0.1', family: 4 },
        { address: 'fd00::1', family: 6 },
      ]);
    };
    const list = await new DnsResolver({ lookup }).resolve('echo.ns.svc:9000');
    expect(asked).toEqual([['echo.ns.svc', 0]]);
    expect(list.map((i) => `${i.host} ${i.port} ${i.weight}`)).toEqual([
      '10.1.0.1 9000 10',
      '10.1.0.2 9000 10',
      'fd00::1 9000 10',
    ]);
    const defaulted = await new DnsResolver({ lookup, port: 7, weight: 3 }).resolve('echo');
    expect(defaulted[0]).toEqual({ host: '10.1.0.1', port: 7, weight: 3, tags: {} });
  });

  it('turns a failed lookup or a malformed name into a typed error', async () => {
    const lookup: DnsLookup = () => Promise.reject(new Error('getaddrinfo ENOTFOUND x'));
    const error = await rejectionOf(new DnsResolver({ lookup }).resolve('x:1'));
    expect(error).toBeInstanceOf(ServiceDiscoveryError);
    expect((error as ServiceDiscoveryError).kind).toBe('resolve');
    expect((error as Error).message).toContain('ENOTFOUND');
    expect(await rejectionOf(new DnsResolver({ lookup }).resolve('x:y'))).toBeInstanceOf(
      ServiceDiscoveryError,
    );
  });

  it("resolves 'localhost' through the system resolver to a loopback address", async () => {
    const list = await new DnsResolver().resolve('localhost:8888');
    expect(list.length).toBeGreaterThan(0);
    for (const i of list) {
      expect(['127.0.0.1', '::1']).toContain(i.host);
      expect(i.port).toBe(8888);
    }
  });
});

describe('tag filtering and the empty-list error', () => {
  it('keeps instances carrying every wanted tag', () => {
    const list = normalizeInstances([
      { host: 'a', port: 1, tags: { zone: 'x', v: '1' } },
      { host: 'b', port: 1, tags: { zone: 'y', v: '1' } },
      { host: 'c', port: 1 },
    ]);
    expect(filterByTags(list, { zone: 'x' }).map((i) => i.host)).toEqual(['a']);
    expect(filterByTags(list, { v: '1' }).map((i) => i.host)).toEqual(['a', 'b']);
    expect(filterByTags(list, {})).toBe(list);
    expect(filterByTags(list, undefined)).toBe(list);
  });

  it('names the service and the tags', () => {
    const error = noInstanceError('echo', { zone: 'x' });
    expect(error.message).toBe(
      "service discovery error: no instance of service 'echo' (tags zone=x)",
    );
    expect(error.kind).toBe('no-instance');
    expect(error.getError()).toBe(error);
  });
});
