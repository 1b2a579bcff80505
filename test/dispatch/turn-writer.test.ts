/** Group commit within the current turn of the event loop. */
import { describe, expect, it } from 'vitest';
import { TurnWriter } from '../../src/dispatch/turn-writer.js';

describe('turn writer', () => {
  it('writes what one burst submitted together, before the next turn', async () => {
    const events: string[] = [];
    const writer = new TurnWriter<number>(async (items) => {
      events.push(`flush ${items.join(',')}`);
    });
    setImmediate(() => events.push('next turn'));
    await Promise.all([writer.submit(1), writer.submit(2), writer.submit(3)]);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['flush 1,2,3', 'next turn']);
  });

  it('items submitted during a flush go in the next one; a failed flush rejects only its own items', async () => {
    const flushed: number[][] = [];
    let later: Promise<void> | undefined;
    const writer = new TurnWriter<number>(async (items) => {
      flushed.push(items);
      if (later === undefined) {
        later = writer.submit(4);
        throw new Error('disk full');
      }
    }, 2);
    const first = [writer.submit(1), writer.submit(2), writer.submit(3)].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    expect(await Promise.all(first)).toEqual(['disk full', 'disk full', 'ok']);
    await later;
    expect(flushed).toEqual([[1, 2], [3, 4]]);
    await writer.drain();
  });
});
