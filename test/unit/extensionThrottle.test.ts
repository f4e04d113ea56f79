import assert from 'node:assert/strict';
import { LatestEvery } from '../../src/extension/throttle';

describe('LatestEvery', () => {
  let clock: { now: number; timers: { at: number; run: () => void }[] };
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  beforeEach(() => {
    clock = { now: 0, timers: [] };
    globalThis.setTimeout = ((run: () => void, ms: number) => {
      const timer = { at: clock.now + ms, run };
      clock.timers.push(timer);
      return timer;
    }) as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((timer: unknown) => {
      clock.timers = clock.timers.filter((t) => t !== timer);
    }) as typeof clearTimeout;
  });
  afterEach(() => {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  });
  const advance = (ms: number) => {
    clock.now += ms;
    for (const t of clock.timers.filter((t) => t.at <= clock.now)) {
      clock.timers = clock.timers.filter((x) => x !== t);
      t.run();
    }
  };

  it('delivers the first value at once, then only the latest per interval', () => {
    const seen: number[] = [];
    const throttle = new LatestEvery<number>(50, (v) => seen.push(v));
    for (let i = 1; i <= 5; i++) throttle.push(i);
    assert.deepEqual(seen, [1]);
    advance(50);
    assert.deepEqual(seen, [1, 5]);
    throttle.push(6);
    throttle.push(7);
    advance(49);
    assert.deepEqual(seen, [1, 5]);
    advance(1);
    assert.deepEqual(seen, [1, 5, 7]);
    advance(50);
    assert.deepEqual(seen, [1, 5, 7], 'nothing pending: nothing sent');
  });

  it('flush sends what is pending and leaves no timer behind', () => {
    const seen: number[] = [];
    const throttle = new LatestEvery<number>(50, (v) => seen.push(v));
    throttle.push(1);
    throttle.push(2);
    throttle.push(3);
    throttle.flush();
    assert.deepEqual(seen, [1, 3]);
    assert.equal(clock.timers.length, 0);
    throttle.flush();
    assert.deepEqual(seen, [1, 3]);
  });

  it('cancel drops what is pending', () => {
    const seen: number[] = [];
    const throttle = new LatestEvery<number>(50, (v) => seen.push(v));
    throttle.push(1);
    throttle.push(2);
    throttle.cancel();
    advance(100);
    assert.deepEqual(seen, [1]);
    throttle.push(3);
    assert.deepEqual(seen, [1, 3], 'a push after cancel goes out at once');
  });
});
