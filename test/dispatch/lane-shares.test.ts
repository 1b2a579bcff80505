/** Each instance's share of the lanes in hand. */
import { describe, expect, it } from 'vitest';
import { LaneShares } from '../../src/dispatch/lane-shares.js';

describe('lane shares', () => {
  it('an instance whose engine is not known yet gets one lane; once known, what its engine is worth', () => {
    const shares = new LaneShares();
    const first = shares.admitter();
    expect([first('a'), first('a')]).toEqual([true, false]);
    shares.take('a');
    expect(shares.busy()).toEqual(['a']);
    shares.learn('a', 3);
    expect(shares.busy()).toEqual([]);
    const next = shares.admitter();
    expect([next('a'), next('a'), next('a')]).toEqual([true, true, false]);
  });

  it('lanes given back make room again; other instances are not affected', () => {
    const shares = new LaneShares();
    shares.learn('slow', 1);
    shares.learn('fast', Number.POSITIVE_INFINITY);
    shares.take('slow');
    for (let i = 0; i < 100; i++) shares.take('fast');
    expect(shares.busy()).toEqual(['slow']);
    const admit = shares.admitter();
    expect([admit('slow'), admit('fast')]).toEqual([false, true]);
    shares.give('slow');
    expect(shares.busy()).toEqual([]);
    expect(shares.admitter()('slow')).toBe(true);
  });
});
