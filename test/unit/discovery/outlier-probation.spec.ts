import { describe, expect, it } from '@jest/globals';
import { OutlierDetector } from '../../../lib/discovery/index.js';

describe('OutlierDetector probation', () => {
  it('after an ejection, one failed call (not consecutiveFailures) ejects again, for longer', () => {
    let now = 0;
    const detector = new OutlierDetector({
      consecutiveFailures: 3,
      baseEjectionMs: 100,
      maxEjectionMs: 1000,
      now: () => now,
    });
    const key = '127.0.0.1:1';
    for (let i = 0; i < 3; i++) detector.recordFailure(key);
    expect(detector.isEjected(key)).toBe(true);
    // Failures of calls still in flight while ejected do not count.
    detector.recordFailure(key);
    now = 100;
    expect(detector.isEjected(key)).toBe(false);
    // The probe (a timed-out call, not a failed dial) fails: ejected at once, for 2 x 100 ms.
    detector.recordFailure(key);
    expect(detector.isEjected(key)).toBe(true);
    now = 299;
    expect(detector.isEjected(key)).toBe(true);
    now = 300;
    expect(detector.isEjected(key)).toBe(false);
  });

  it('a success ends the probation: failures must again be consecutiveFailures in a row', () => {
    let now = 0;
    const detector = new OutlierDetector({
      consecutiveFailures: 3,
      baseEjectionMs: 100,
      now: () => now,
    });
    const key = '127.0.0.1:1';
    for (let i = 0; i < 3; i++) detector.recordFailure(key);
    now = 100;
    detector.recordSuccess(key);
    detector.recordFailure(key);
    detector.recordFailure(key);
    expect(detector.isEjected(key)).toBe(false);
    detector.recordFailure(key);
    expect(detector.isEjected(key)).toBe(true);
    // First ejection again (the success reset the count): 100 ms.
    now = 200;
    expect(detector.isEjected(key)).toBe(false);
  });
});
