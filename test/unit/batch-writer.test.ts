import { describe, expect, it } from 'vitest';
import { BatchWriter } from '../../src/util/batch-writer.js';

describe('group commit', () => {
  it('writes items submitted together in one flush, and resolves each after it', async () => {
    const flushes: number[][] = [];
    const w = new BatchWriter<number>(async (items) => {
      flushes.push(items);
      await new Promise((r) => setTimeout(r, 5));
    });
    await Promise.all([1, 2, 3].map((n) => w.submit(n)));
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it('items arriving during a flush go into the next one', async () => {
    const flushes: number[][] = [];
    const w = new BatchWriter<number>(async (items) => {
      flushes.push(items);
      await new Promise((r) => setTimeout(r, 10));
    });
    const first = w.submit(1);
    await new Promise((r) => setTimeout(r, 2));
    await Promise.all([first, w.submit(2), w.submit(3)]);
    expect(flushes).toEqual([[1], [2, 3]]);
  });

  it('a failed flush rejects exactly the items of that batch', async () => {
    const w = new BatchWriter<number>(async (items) => {
      if (items.includes(13)) throw new Error('disk full');
    });
    const results = await Promise.allSettled([w.submit(13), w.submit(14)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(w.submit(1)).resolves.toBeUndefined();
  });

  it('weighed items are split so no commit carries more than the maximum weight (but always one item)', async () => {
    const flushes: number[][] = [];
    const w = new BatchWriter<number>(
      async (items) => {
        flushes.push(items);
      },
      { weigh: (n) => n, maxWeight: 10 },
    );
    await Promise.all([4, 4, 4, 12, 1, 1].map((n) => w.submit(n)));
    expect(flushes).toEqual([[4, 4], [4], [12], [1, 1]]);
  });

  it('lets the event loop run between the commits of a long queue', async () => {
    const events: string[] = [];
    const w = new BatchWriter<number>(
      async (items) => {
        // A timer set while the first commit runs: it can only fire if the loop runs between commits.
        if (events.length === 0) setTimeout(() => events.push('timer'), 0);
        // A synchronous commit, like SQLite's, that takes a few milliseconds.
        const end = Date.now() + 3;
        while (Date.now() < end) {
          /* busy */
        }
        events.push(`flush ${items.length}`);
      },
      { maxBatch: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => w.submit(n)));
    expect(events.indexOf('timer')).toBeGreaterThan(0);
    expect(events.indexOf('timer')).toBeLessThan(events.length - 1);
  });

  it('with thisTurn, writes what one burst submitted together, before the next turn', async () => {
    const events: string[] = [];
    const writer = new BatchWriter<number>(
      async (items) => {
        events.push(`flush ${items.join(',')}`);
      },
      { thisTurn: true },
    );
    setImmediate(() => events.push('next turn'));
    await Promise.all([writer.submit(1), writer.submit(2), writer.submit(3)]);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['flush 1,2,3', 'next turn']);
  });

  it('by default, commits in the next turn, after callbacks already queued for it', async () => {
    const events: string[] = [];
    const writer = new BatchWriter<number>(async (items) => {
      events.push(`flush ${items.join(',')}`);
    });
    setImmediate(() => events.push('queued first'));
    await Promise.all([writer.submit(1), writer.submit(2)]);
    expect(events).toEqual(['queued first', 'flush 1,2']);
  });

  it('items submitted during a flush go in the next one; a failed flush rejects only its own items', async () => {
    const flushed: number[][] = [];
    let later: Promise<void> | undefined;
    const writer = new BatchWriter<number>(
      async (items) => {
        flushed.push(items);
        if (later === undefined) {
          later = writer.submit(4);
          throw new Error('disk full');
        }
      },
      { maxBatch: 2, thisTurn: true },
    );
    const first = [writer.submit(1), writer.submit(2), writer.submit(3)].map((p) =>
      p.then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    expect(await Promise.all(first)).toEqual(['disk full', 'disk full', 'ok']);
    await later;
    expect(flushed).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await writer.drain();
  });

  it('with concurrency, items arriving during a commit start the next one at once, never more commits than allowed', async () => {
    const opened: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const w = new BatchWriter<number>(
      async (items) => {
        opened.push(items);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight -= 1;
      },
      { concurrency: 2 },
    );
    const tick = () => new Promise((r) => setImmediate(r));
    const all = [w.submit(1)];
    await tick();
    all.push(w.submit(2));
    await tick();
    all.push(w.submit(3));
    await tick();
    // Two commits in flight; the third batch waits for one of them.
    expect(opened).toEqual([[1], [2]]);
    releases.shift()?.();
    await all[0];
    await tick();
    expect(opened).toEqual([[1], [2], [3]]);
    while (releases.length > 0) {
      releases.shift()?.();
      await tick();
    }
    await Promise.all(all);
    await w.drain();
    expect(most).toBe(2);
  });
});
