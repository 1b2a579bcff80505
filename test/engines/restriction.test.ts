/** The restriction from new chats: its end from WhatsApp or a doubling backoff after each 463, lifted at its end. */
import { describe, expect, it } from 'vitest';
import { Restriction } from '../../src/engines/baileys/restriction.js';

function make(initial?: number, now = () => 1_000_000) {
  const changes: (number | undefined)[] = [];
  const r = new Restriction({ ...(initial !== undefined ? { initial } : {}), onChange: (u) => changes.push(u), now, firstBackoffMs: 100, maxBackoffMs: 350 });
  return { r, changes };
}

describe('Restriction', () => {
  it('a 463 restricts for the backoff, doubling with each further 463 up to the cap', () => {
    const { r, changes } = make();
    r.after463();
    r.after463();
    r.after463();
    r.after463();
    expect(changes).toEqual([1_000_100, 1_000_200, 1_000_350]);
    expect(r.activeUntil).toBe(1_000_350);
    r.dispose();
  });

  it("WhatsApp's end is taken as given; without one, a minute; lifting ends it and resets the backoff", () => {
    const { r, changes } = make();
    r.fromWhatsApp({ isActive: true, timeEnforcementEnds: new Date(5_000_000) });
    r.fromWhatsApp({ isActive: true });
    r.fromWhatsApp({ isActive: false });
    r.after463();
    expect(changes).toEqual([5_000_000, 1_060_000, undefined, 1_000_100]);
    r.dispose();
  });

  it('a saved end already past is lifted at once; a future one is kept without a new change', () => {
    expect(make(999_999).changes).toEqual([undefined]);
    const { r, changes } = make(2_000_000);
    expect(changes).toEqual([]);
    expect(r.activeUntil).toBe(2_000_000);
    r.dispose();
  });

  it('ends by itself at its time', async () => {
    const { r, changes } = make(undefined, Date.now);
    r.after463();
    expect(r.activeUntil).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.activeUntil).toBeUndefined();
    expect(changes.at(-1)).toBeUndefined();
    expect(changes).toHaveLength(2);
  });
});
