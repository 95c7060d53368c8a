import { describe, expect, it } from '@jest/globals';
import { mergedRecords } from '../../../lib/client/merged-records.js';

describe('mergedRecords', () => {
  it('is { ...a, ...b }: later keys win, undefined sides are empty', () => {
    expect(mergedRecords({ x: '1', y: '2' }, { y: '3', z: '4' })).toEqual({
      x: '1',
      y: '3',
      z: '4',
    });
    expect(mergedRecords(undefined, { z: '4' })).toEqual({ z: '4' });
    expect(mergedRecords({ x: '1' }, undefined)).toEqual({ x: '1' });
    expect(mergedRecords(undefined, undefined)).toEqual({});
  });

  it('always returns a new object: callers may add keys without touching the defaults', () => {
    const defaults = { x: '1' };
    const merged = mergedRecords(defaults, undefined);
    merged['y'] = '2';
    expect(defaults).toEqual({ x: '1' });
    expect(mergedRecords(undefined, defaults)).not.toBe(defaults);
  });
});
