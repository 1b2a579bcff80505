import { describe, expect, it } from 'vitest';
import { QueueDepth } from '../../src/accept/queue-depth.js';

const read = async (depth: QueueDepth, id: string) => {
  await depth.fresh(id);
  return depth.current(id);
};

describe('QueueDepth', () => {
  it('counts sends being admitted, so a concurrent burst cannot overshoot', async () => {
    const depth = new QueueDepth(
      async () => 3,
      1_000,
      () => 0,
    );
    expect(await read(depth, 'a')).toBe(3);
    depth.reserve('a');
    depth.reserve('a');
    expect(depth.current('a')).toBe(5);
    depth.settle('a', true);
    depth.settle('a', false);
    expect(depth.current('a')).toBe(4);
    expect(await read(depth, 'b')).toBe(3);
  });

  it('asks the database again only after the refresh interval; requests waiting for one read share it', async () => {
    let now = 0;
    let rows = 10;
    let queries = 0;
    const depth = new QueueDepth(
      async () => {
        queries += 1;
        return rows;
      },
      1_000,
      () => now,
    );
    expect(await Promise.all([read(depth, 'a'), read(depth, 'a')])).toEqual([10, 10]);
    rows = 2;
    now = 999;
    expect(await read(depth, 'a')).toBe(10);
    now = 1_000;
    expect(await read(depth, 'a')).toBe(2);
    expect(queries).toBe(2);
  });

  it('stays bounded: past its capacity, the least recently used count goes', async () => {
    let queries = 0;
    const depth = new QueueDepth(
      async () => {
        queries += 1;
        return 0;
      },
      1_000,
      () => 0,
      3,
    );
    for (const id of ['a', 'b', 'c', 'd']) await depth.fresh(id);
    expect(depth.size).toBe(3);
    await depth.fresh('a');
    expect(queries).toBe(5);
  });
});
