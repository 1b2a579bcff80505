import { describe, expect, it } from 'vitest';
import { Pacer, typingMs, type Clock } from '../../src/engines/baileys/pacer.js';

/** A clock that only moves when something sleeps on it. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

describe('pacing', () => {
  it('keeps the minimum gap plus jitter between sends, in call order', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ minGapMs: 3000, jitterMs: 2000, perMinute: 100, typing: false }, clock, () => 0.5);
    const times: number[] = [];
    await Promise.all(
      [1, 2, 3].map(async () => {
        await pacer.turn();
        times.push(clock.now());
      }),
    );
    expect(times[1]! - times[0]!).toBe(4000);
    expect(times[2]! - times[1]!).toBe(4000);
  });

  it('never more than perMinute sends in any 60 s', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ minGapMs: 0, jitterMs: 0, perMinute: 3, typing: false }, clock, () => 0);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      await pacer.turn();
      times.push(clock.now());
    }
    for (let i = 3; i < times.length; i++) expect(times[i]! - times[i - 3]!).toBeGreaterThanOrEqual(60_000);
  });

  it('jitter makes the rhythm irregular', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ minGapMs: 1000, jitterMs: 1000, perMinute: 1000, typing: false }, clock);
    for (let i = 0; i < 20; i++) await pacer.turn();
    expect(new Set(clock.slept).size).toBeGreaterThan(5);
    expect(Math.min(...clock.slept)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...clock.slept)).toBeLessThan(2000);
  });

  it('a wait can be cancelled (shutdown), and the next send still gets its turn', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ minGapMs: 5000, jitterMs: 0, perMinute: 100, typing: false }, clock);
    await pacer.turn();
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop'));
    await expect(pacer.turn(ctrl.signal)).rejects.toMatchObject({ code: 'pacing_interrupted', transient: true });
    await expect(pacer.turn()).resolves.toBeUndefined();
  });

  it('typing time grows with the text, within bounds', () => {
    expect(typingMs('hi')).toBe(500);
    expect(typingMs('x'.repeat(50))).toBe(2000);
    expect(typingMs('x'.repeat(5000))).toBe(4000);
  });
});
