import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { StreamPattern } from '../../../lib/decorators/index.js';
import { TTSTREAM_METHOD_METADATA, TTSTREAM_TRANSPORT } from '../../../lib/nest-constants.js';
import { TTStreamErrorCaptureInterceptor } from '../../../lib/server/error-capture.interceptor.js';

class Handlers {
  @StreamPattern('TestService.Echo')
  echo(): void {}

  @StreamPattern('a.b.Service.Method', { mode: 'server' })
  dotted(): void {}
}

const meta = (key: string, fn: unknown): unknown => Reflect.getMetadata(key, fn as object);

describe('@StreamPattern', () => {
  it("records Nest's message-pattern metadata, tagged with TTSTREAM_TRANSPORT", () => {
    const fn = Object.getOwnPropertyDescriptor(Handlers.prototype, 'echo')?.value as unknown;
    expect(meta('microservices:pattern', fn)).toEqual(['TestService.Echo']);
    expect(meta('microservices:transport', fn)).toBe(TTSTREAM_TRANSPORT);
    expect(meta('microservices:pattern_extras', fn)).toEqual({
      ttstream: {
        pattern: 'TestService.Echo',
        service: 'TestService',
        method: 'Echo',
        mode: undefined,
      },
    });
    expect(TTSTREAM_TRANSPORT).toBe(Symbol.for('nestjs-ttstream'));
  });

  it('stores the descriptor for Reflector users and adds the error-capture interceptor', () => {
    const fn = Object.getOwnPropertyDescriptor(Handlers.prototype, 'dotted')?.value as unknown;
    expect(meta(TTSTREAM_METHOD_METADATA, fn)).toEqual({
      pattern: 'a.b.Service.Method',
      service: 'a.b.Service',
      method: 'Method',
      mode: 'server',
    });
    const interceptors = meta(INTERCEPTORS_METADATA, fn) as unknown[];
    expect(interceptors).toHaveLength(1);
    expect(interceptors[0]).toBeInstanceOf(TTStreamErrorCaptureInterceptor);
  });

  it.each(['Echo', '.Echo', 'TestService.', ''])('rejects the pattern %p', (pattern) => {
    expect(() => StreamPattern(pattern)).toThrow(TypeError);
  });
});
