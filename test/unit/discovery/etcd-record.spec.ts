import { describe, expect, it } from '@jest/globals';
import {
  encodeKitexEtcdRecord,
  kitexServiceKey,
  kitexServicePrefix,
  parseKitexEtcdRecord,
  parseRecordAddress,
} from '../../../lib/discovery/etcd/kitex-etcd-record.js';
import { registryAddress } from '../../../lib/discovery/etcd/registry-address.js';

describe('kitex-contrib registry-etcd records', () => {
  it('builds the keys and the value as Go does', () => {
    expect(kitexServicePrefix('echo')).toBe('kitex/registry-etcd/echo/');
    expect(kitexServiceKey('echo', '10.0.0.1:8888')).toBe('kitex/registry-etcd/echo/10.0.0.1:8888');
    expect(kitexServiceKey('echo', '1.2.3.4:5', 'p')).toBe('p/echo/1.2.3.4:5');
    expect(
      encodeKitexEtcdRecord({ network: 'tcp', address: '1.2.3.4:5', weight: 10, tags: null }),
    ).toBe('{"network":"tcp","address":"1.2.3.4:5","weight":10,"tags":null}');
  });

  it('reads what json.Unmarshal reads: missing fields zero, names case-insensitive', () => {
    const parsed = parseKitexEtcdRecord('{"Network":"tcp","ADDRESS":"1.2.3.4:5","extra":1}');
    expect(parsed).toEqual({
      ok: true,
      record: { network: 'tcp', address: '1.2.3.4:5', weight: 0, tags: null },
      instance: { host: '1.2.3.4', port: 5, weight: 10, tags: {} },
    });
    const tagged = parseKitexEtcdRecord(
      Buffer.from('{"network":"tcp","address":"[::1]:80","weight":3,"tags":{"a":"b"}}'),
    );
    expect(tagged.ok && tagged.instance).toEqual({
      host: '::1',
      port: 80,
      weight: 3,
      tags: { a: 'b' },
    });
  });

  it.each([
    ['{', /not JSON/],
    ['"x"', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"network":"tcp","address":"1.2.3.4:5","weight":1.5}', /not an integer/],
    ['{"network":"tcp","address":"1.2.3.4:5","weight":"10"}', /not an integer/],
    ['{"network":"tcp","address":5}', /address is not a string/],
    ['{"network":"tcp","address":"1.2.3.4:5","tags":[]}', /tags is not an object/],
    ['{"network":"tcp","address":"1.2.3.4:5","tags":{"a":1}}', /tag value/],
    ['{"network":"unix","address":"/tmp/x"}', /network 'unix'/],
    ['{"address":"1.2.3.4:5"}', /network '' is not tcp/],
    ['{"network":"tcp","address":"1.2.3.4"}', /malformed address/],
    ['{"network":"tcp","address":"1.2.3.4:0"}', /malformed address/],
  ])('refuses %s', (value, reason) => {
    const parsed = parseKitexEtcdRecord(value);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it("accepts the unbracketed IPv6 address kitex-contrib's registry writes", () => {
    expect(parseRecordAddress('::1:8888')).toEqual({ host: '::1', port: 8888 });
    expect(parseRecordAddress('fe80::1:2:443')).toEqual({ host: 'fe80::1:2', port: 443 });
    expect(parseRecordAddress('[fe80::1]:443')).toEqual({ host: 'fe80::1', port: 443 });
    expect(parseRecordAddress('fe80::')).toBeUndefined();
  });
});

describe('registryAddress', () => {
  const listener = { host: '127.0.0.1', port: 8888 };
  it('publishes the listener address by default', () => {
    expect(registryAddress(listener, undefined, {})).toBe('127.0.0.1:8888');
    expect(registryAddress({ host: '::1', port: 1 }, undefined, {})).toBe('[::1]:1');
  });
  it('takes KITEX_IP_TO_REGISTRY and KITEX_PORT_TO_REGISTRY, ignoring empty values', () => {
    const env = { KITEX_IP_TO_REGISTRY: '10.0.0.9', KITEX_PORT_TO_REGISTRY: '9000' };
    expect(registryAddress(listener, undefined, env)).toBe('10.0.0.9:9000');
    expect(registryAddress(listener, undefined, { KITEX_IP_TO_REGISTRY: '' })).toBe(
      '127.0.0.1:8888',
    );
    expect(() => registryAddress(listener, undefined, { KITEX_PORT_TO_REGISTRY: 'x' })).toThrow(
      RangeError,
    );
  });
  it('a fixed address wins over everything', () => {
    const env = { KITEX_IP_TO_REGISTRY: '10.0.0.9' };
    expect(registryAddress(listener, 'svc.local:1234', env)).toBe('svc.local:1234');
    expect(() => registryAddress(listener, 'nope', env)).toThrow(RangeError);
  });
  it('an unspecified host becomes a non-loopback IPv4 address (or a clear error)', () => {
    let published: string | undefined;
    try {
      published = registryAddress({ host: '0.0.0.0', port: 5 }, undefined, {});
    } catch (error) {
      expect((error as Error).message).toMatch(/KITEX_IP_TO_REGISTRY/);
      return;
    }
    expect(published).toMatch(/^\d+\.\d+\.\d+\.\d+:5$/);
    expect(published.startsWith('0.0.0.0')).toBe(false);
  });
});
