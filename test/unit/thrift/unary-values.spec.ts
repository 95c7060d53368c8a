import { describe, expect, it } from '@jest/globals';
import { parseThriftIdl } from '../../../lib/thrift/parse-thrift-idl.js';
import { type UnaryMethodDescriptor } from '../../../lib/thrift/thrift-idl.js';
import { argsToPayload, payloadToArgs } from '../../../lib/thrift/unary-values.js';

const idl = parseThriftIdl(`
struct Request { 1: string message }
service S {
  Request One(1: Request req)
  i32 Two(1: string a, 2: i32 b)
  void None()
  i32 Scalar(1: i32 n)
}
`);

function method(name: string): UnaryMethodDescriptor {
  const m = idl.services.get('S')?.methods.get(name);
  if (m?.mode !== 'unary') throw new Error(name);
  return m;
}

describe('argsToPayload / payloadToArgs', () => {
  it('uses the only parameter value as the payload', () => {
    const req = { message: 'hi' };
    expect(argsToPayload(method('One'), { req })).toBe(req);
    expect(payloadToArgs(method('One'), req)).toEqual({ req });
    expect(argsToPayload(method('Scalar'), { n: 0 })).toBe(0);
    expect(payloadToArgs(method('Scalar'), 0)).toEqual({ n: 0 });
    // An unset single parameter stays unset.
    expect(argsToPayload(method('One'), {})).toBeUndefined();
    expect(payloadToArgs(method('One'), undefined)).toEqual({ req: undefined });
  });

  it('uses the args object for several parameters', () => {
    const args = { a: 'x', b: 2 };
    expect(argsToPayload(method('Two'), args)).toBe(args);
    expect(payloadToArgs(method('Two'), args)).toBe(args);
    expect(payloadToArgs(method('Two'), undefined)).toEqual({});
  });

  it('uses an empty args object for no parameters', () => {
    expect(argsToPayload(method('None'), {})).toEqual({});
    expect(payloadToArgs(method('None'), undefined)).toEqual({});
    expect(payloadToArgs(method('None'), null)).toEqual({});
  });

  it('rejects a non-object payload for several or no parameters', () => {
    expect(() => payloadToArgs(method('Two'), 'x')).toThrow(
      new TypeError('S.Two takes an object of its arguments (a, b), got string'),
    );
    expect(() => payloadToArgs(method('None'), [1])).toThrow(
      'S.None takes an object of its arguments (none), got an array',
    );
  });

  it('round-trips through the args codec', () => {
    const m = method('Two');
    const bytes = m.argsCodec.encode(payloadToArgs(m, { a: 'x', b: 2 }));
    expect(argsToPayload(m, m.argsCodec.decode(bytes))).toEqual({ a: 'x', b: 2 });
    const one = method('One');
    const payload = argsToPayload(
      one,
      one.argsCodec.decode(one.argsCodec.encode(payloadToArgs(one, { message: 'm' }))),
    );
    expect(payload).toEqual({ message: 'm' });
  });
});
