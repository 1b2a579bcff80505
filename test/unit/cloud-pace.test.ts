/**
 * The pace the cloud engine keeps, on a clock the test moves: the pair rate
 * lets a burst of 45 messages to one person through, then one per 6 s; a
 * 131056 empties the bucket; a message of two parts needs room for both.
 * A send waiting for its turn when the gateway stops ends with the stop's
 * own reason (the dispatcher then gives its attempt back).
 */
import { describe, expect, it } from 'vitest';
import { PAIR_BURST, PAIR_EVERY_MS, PairRate, Throughput } from '../../src/engines/cloud/pace.js';

describe('the pair rate', () => {
  it('lets a burst through, then one message per 6 s, each recipient on its own', () => {
    let now = 1_000_000;
    const pairs = new PairRate(() => now);
    for (let i = 0; i < PAIR_BURST; i++) expect(pairs.take('i>a', 1)).toBeUndefined();
    expect(pairs.take('i>a', 1)).toBe(now + PAIR_EVERY_MS);
    expect(pairs.take('i>b', 1)).toBeUndefined();
    now += PAIR_EVERY_MS / 2;
    expect(pairs.take('i>a', 1)).toBe(now + PAIR_EVERY_MS / 2);
    now += PAIR_EVERY_MS / 2;
    expect(pairs.take('i>a', 1)).toBeUndefined();
    expect(pairs.take('i>a', 1)).toBe(now + PAIR_EVERY_MS);
  });

  it('a 131056 empties the bucket; two parts need room for two', () => {
    let now = 0;
    const pairs = new PairRate(() => now);
    expect(pairs.take('i>a', 2)).toBeUndefined();
    pairs.spent('i>a');
    expect(pairs.take('i>a', 1)).toBe(PAIR_EVERY_MS);
    now = PAIR_EVERY_MS;
    expect(pairs.take('i>a', 2)).toBe(now + PAIR_EVERY_MS);
    expect(pairs.take('i>a', 1)).toBeUndefined();
  });
});

describe('the throughput', () => {
  it('a wait cut short by a stop rejects with the stop reason', async () => {
    const pace = new Throughput(1);
    await pace.turn();
    const stop = new AbortController();
    const waiting = pace.turn(stop.signal);
    const reason = new Error('shutting down');
    stop.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
