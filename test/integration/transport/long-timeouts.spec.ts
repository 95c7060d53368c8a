// Issue 11 item 7: every timeout a peer can send (int key 12 is a decimal string) behaves as that
// timeout; Node's timers would fire at once past 2^31-1 ms and warn once per stream.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { IntHeaderKey } from '../../../lib/protocol/int-header-key.js';
import { MAX_TIMER_MS, setLongTimeout } from '../../../lib/transport/long-timeout.js';
import { headerFrame } from '../../helpers/frames.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { RawPeer } from '../../helpers/raw-peer.js';
import { waitFor } from '../../helpers/wait.js';

const DAY = 86_400_000;

describe('setLongTimeout', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it.each([
    ['1 ms', 1],
    ['2^31-1 ms (24.8 days)', MAX_TIMER_MS],
    ['30 days', 30 * DAY],
    ['2^40 ms', 2 ** 40],
  ])('fires once, after %s and not before', (_name, delay) => {
    jest.useFakeTimers();
    const fired = jest.fn();
    setLongTimeout(fired, delay);
    jest.advanceTimersByTime(delay - 1);
    expect(fired).not.toHaveBeenCalled();
    // Whole-millisecond steps: at most 1 ms late per 2^31-1 ms.
    jest.advanceTimersByTime(Math.ceil(delay / MAX_TIMER_MS));
    expect(fired).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(delay * 2);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('is cleared by clearTimeout at any step', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    const timer = setLongTimeout(fired, 30 * DAY);
    jest.advanceTimersByTime(20 * DAY);
    clearTimeout(timer);
    jest.advanceTimersByTime(30 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });

  it('never fires for a delay too large to count', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    const timer = setLongTimeout(fired, Infinity);
    jest.advanceTimersByTime(100 * MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    clearTimeout(timer);
  });
});

describe('our server honours int key 12 for any value a peer sends', () => {
  let loop: Loopback | undefined;
  let peer: RawPeer | undefined;
  const records: ProbeRecord[] = [];
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => {
    warnings.push(warning);
  };
  afterEach(async () => {
    process.off('warning', onWarning);
    await peer?.close();
    await loop?.close();
    records.length = 0;
    warnings.length = 0;
  });

  it('1 ms ends the stream with 12015 at once', async () => {
    loop = await startLoopback((s) => {
      registerHold(s, records);
    });
    peer = await RawPeer.connect(loop.address.port);
    peer.send({
      ...headerFrame(1, HOLD.bidirectional),
      intHeaders: new Map([[IntHeaderKey.RPCTimeout, '1']]),
    });
    await waitFor(() => records.length === 1, 'server stream');
    expect(((await records[0]!.ended) as TTStreamError).kind).toBe(TTStreamErrorCode.StreamTimeout);
  });

  it('24.8 days, 30 days and 2^63-1 ms leave the streams running, without warnings', async () => {
    process.on('warning', onWarning);
    loop = await startLoopback((s) => {
      registerHold(s, records);
    });
    peer = await RawPeer.connect(loop.address.port);
    const values = [String(MAX_TIMER_MS), String(30 * DAY), '9223372036854775807'];
    values.forEach((value, i) => {
      peer!.send({
        ...headerFrame(1 + 2 * i, HOLD.bidirectional),
        intHeaders: new Map([[IntHeaderKey.RPCTimeout, value]]),
      });
    });
    await waitFor(() => records.length === 3, 'server streams');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(records.map((r) => r.stream.signal.aborted)).toEqual([false, false, false]);
    expect(peer.frames.filter((f) => f.type === FrameType.Trailer)).toEqual([]);
    expect(loop.server.stats().streams).toBe(3);
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});
