/** The webhook retry schedule and Retry-After, at their edges. */
import { describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS, nextDelayMs, retryAfterMs } from '../../src/webhooks/schedule.js';

describe('nextDelayMs', () => {
  it('follows the table, jittered within ±20%, scaled, and ends after the last attempt', () => {
    expect(nextDelayMs(1, 1, () => 0)).toBe(4_000);
    expect(nextDelayMs(1, 1, () => 0.5)).toBe(5_000);
    expect(nextDelayMs(1, 1, () => 1)).toBe(6_000);
    expect(nextDelayMs(2, 1, () => 0.5)).toBe(30_000);
    expect(nextDelayMs(12, 1, () => 0.5)).toBe(36_000_000);
    expect(nextDelayMs(2, 0.001, () => 0.5)).toBe(30);
    // Never 0, however small the scale.
    expect(nextDelayMs(1, 0.000001, () => 0)).toBe(1);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(13);
    expect(nextDelayMs(MAX_DELIVERY_ATTEMPTS - 1, 1, () => 0.5)).toBe(36_000_000);
    expect(nextDelayMs(MAX_DELIVERY_ATTEMPTS, 1, () => 0.5)).toBeUndefined();
  });

  it('over many draws stays inside the jitter band', () => {
    for (let i = 0; i < 1000; i++) {
      const d = nextDelayMs(3) ?? 0;
      expect(d).toBeGreaterThanOrEqual(96_000);
      expect(d).toBeLessThanOrEqual(144_000);
    }
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it('reads seconds and HTTP dates, the first of repeated headers', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 7 ', now)).toBe(7_000);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Sat, 28 Nov 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs(['30', '600'], now)).toBe(30_000);
  });

  it('ignores what is blank, negative, in the past, not a number or a date, or over a day', () => {
    for (const v of [undefined, '', '  ', '-5', '1.5', 'soon', 'Sat, 28 Nov 2026 11:59:00 GMT', '86401', []]) {
      expect(retryAfterMs(v as string | string[] | undefined, now)).toBeUndefined();
    }
    expect(retryAfterMs('86400', now)).toBe(86_400_000);
  });
});
