import { describe, expect, it } from '@jest/globals';
import {
  ServerRouter,
  isResolvedRoute,
  type StreamRoute,
} from '../../../lib/transport/server-router.js';
import { stringCodec } from '../../helpers/codecs.js';

const route: StreamRoute<string, string> = {
  mode: 'bidirectional',
  requestCodec: stringCodec,
  responseCodec: stringCodec,
  handler: () => undefined,
};

describe('ServerRouter (Kitex SearchService)', () => {
  const router = new ServerRouter<StreamRoute<string, string>>();
  router.register('A', 'Echo', route);
  router.register('A', 'OnlyA', route);
  router.register('B', 'Echo', route);

  it('routes by isn and method', () => {
    const found = router.resolve('B', 'Echo');
    expect(isResolvedRoute(found) && found.service).toBe('B');
  });

  it('falls back to a unique method when isn is empty or unknown', () => {
    for (const isn of ['', 'Unknown']) {
      const found = router.resolve(isn, 'OnlyA');
      expect(isResolvedRoute(found) && found.service).toBe('A');
    }
  });

  it('answers type 1 for an unknown method and 20 for an unknown service', () => {
    expect(router.resolve('A', 'Nope')).toMatchObject({ typeId: 1 });
    expect(router.resolve('Unknown', 'Echo')).toMatchObject({ typeId: 20 }); // ambiguous
    expect(router.resolve('', 'Nope')).toMatchObject({ typeId: 1 });
  });

  it('refuses a duplicate registration', () => {
    expect(() => {
      router.register('A', 'Echo', route);
    }).toThrow('already registered');
  });
});
