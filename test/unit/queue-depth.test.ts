import { describe, expect, it } from 'vitest';
import { QueueDepth } from '../../src/accept/queue-depth.js';

describe('QueueDepth', () => {
  it('counts sends being admitted, so a concurrent burst cannot overshoot', () => {
    const depth = new QueueDepth(() => 3, 1_000, () => 0);
    expect(depth.current('a')).toBe(3);
    depth.reserve('a');
    depth.reserve('a');
    expect(depth.current('a')).toBe(5);
    depth.settle('a', true);
    depth.settle('a', false);
    expect(depth.current('a')).toBe(4);
    expect(depth.current('b')).toBe(3);
  });

  it('asks the database again only after the refresh interval', () => {
    let now = 0;
    let rows = 10;
    let queries = 0;
    const depth = new QueueDepth(() => { queries += 1; return rows; }, 1_000, () => now);
    expect(depth.current('a')).toBe(10);
    rows = 2;
    now = 999;
    expect(depth.current('a')).toBe(10);
    now = 1_000;
    expect(depth.current('a')).toBe(2);
    expect(queries).toBe(2);
  });

  it('stays bounded: past its capacity, the least recently used count goes', () => {
    let queries = 0;
    const depth = new QueueDepth(() => { queries += 1; return 0; }, 1_000, () => 0, 3);
    for (const id of ['a', 'b', 'c', 'd']) depth.current(id);
    expect(depth.size).toBe(3);
    depth.current('a');
    expect(queries).toBe(5);
  });
});
