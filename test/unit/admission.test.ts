/** Admission: a refused send never counts in the instance's queue; the media cap counts what waits. */
import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/accept/admission.js';
import { QueueDepth } from '../../src/accept/queue-depth.js';
import { ApiError } from '../../src/domain/errors.js';

const refusal = async (p: Promise<void>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof ApiError ? err.code : 'other';
  }
};

describe('Admission', () => {
  it('a rate-limited send gives its place in the queue back: the count stays at what was stored', async () => {
    const depth = new QueueDepth(async () => 0, 60_000);
    const admission = new Admission(depth, { ratePerSecond: 1, queueMax: 2, queueFullRetryAfterS: 10 });
    await admission.admit('i');
    admission.settle('i', true);
    expect(depth.current('i')).toBe(1);
    expect(await refusal(admission.admit('i'))).toBe('rate_limited');
    expect(depth.current('i')).toBe(1);
  });

  it('a full queue is refused before the rate is spent, with its Retry-After', async () => {
    const admission = new Admission(new QueueDepth(async () => 5, 60_000), { ratePerSecond: 1, queueMax: 5, queueFullRetryAfterS: 7 });
    const err = await admission.admit('i').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'queue_full', headers: { 'Retry-After': '7' } });
  });

  it('a burst arriving while the count is being read cannot overshoot the queue limit', async () => {
    let release: (n: number) => void = () => undefined;
    const admission = new Admission(
      new QueueDepth(
        () =>
          new Promise<number>((resolve) => {
            release = resolve;
          }),
        60_000,
      ),
      { ratePerSecond: 0, queueMax: 5, queueFullRetryAfterS: 7 },
    );
    const burst = Array.from({ length: 6 }, () => refusal(admission.admit('i')));
    release(3);
    expect((await Promise.all(burst)).sort()).toEqual([undefined, undefined, 'queue_full', 'queue_full', 'queue_full', 'queue_full'].sort());
  });

  it('media waiting per instance: up to the limit in, past it 429 media_queue_full; no limit when 0', async () => {
    const waiting = new Map([['i', 900]]);
    const admission = new Admission(new QueueDepth(async () => 0), {
      ratePerSecond: 0,
      queueMax: 0,
      queueFullRetryAfterS: 10,
      mediaQueueMaxBytes: 1000,
      mediaWaiting: async (id) => waiting.get(id) ?? 0,
    });
    expect(await refusal(admission.admitMedia('i', 100))).toBeUndefined();
    expect(await refusal(admission.admitMedia('i', 101))).toBe('media_queue_full');
    expect(await refusal(admission.admitMedia('other', 1000))).toBeUndefined();
    const unlimited = new Admission(new QueueDepth(async () => 0), {
      ratePerSecond: 0,
      queueMax: 0,
      queueFullRetryAfterS: 10,
      mediaQueueMaxBytes: 0,
      mediaWaiting: async () => 1e12,
    });
    expect(await refusal(unlimited.admitMedia('i', 1))).toBeUndefined();
  });

  it('media waiting is summed at most once a second per instance; files admitted meanwhile count on top', async () => {
    let now = 0;
    let reads = 0;
    const stored = new Map([['i', 0]]);
    const admission = new Admission(
      new QueueDepth(async () => 0),
      {
        ratePerSecond: 0,
        queueMax: 0,
        queueFullRetryAfterS: 10,
        mediaQueueMaxBytes: 1000,
        mediaWaiting: async (id) => {
          reads++;
          return stored.get(id) ?? 0;
        },
      },
      () => now,
    );
    for (let n = 0; n < 4; n++) await admission.admitMedia('i', 250);
    expect(await refusal(admission.admitMedia('i', 1))).toBe('media_queue_full');
    expect(reads).toBe(1);
    // A second later the database says what is really waiting (two of the files were sent meanwhile).
    stored.set('i', 500);
    now = 1_000;
    expect(await refusal(admission.admitMedia('i', 500))).toBeUndefined();
    expect(reads).toBe(2);
  });
});
