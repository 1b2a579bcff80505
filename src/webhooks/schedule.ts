/**
 * When to try a failed webhook delivery again: quickly first (a receiver that
 * restarts costs seconds), then further apart, for more than a day in all,
 * each delay jittered by ±20% so a recovered receiver is not hit by everything
 * at once. After the last attempt the event is dead-lettered.
 */
const DELAYS_S = [5, 30, 120, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 36000];

/** Attempts in all: the first plus one per delay. */
export const MAX_DELIVERY_ATTEMPTS = DELAYS_S.length + 1;

/** Delay before the next attempt after `attempts` failed ones; undefined when none is left. */
export function nextDelayMs(attempts: number, scale = 1, random: () => number = Math.random): number | undefined {
  const base = DELAYS_S[attempts - 1];
  if (base === undefined) return undefined;
  return Math.max(1, Math.round(base * 1000 * scale * (0.8 + random() * 0.4)));
}

/** A Retry-After header (seconds or an HTTP date) in ms, if sane (up to a day). */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v.trim() === '') return undefined;
  const seconds = /^\d+$/.test(v.trim()) ? Number(v.trim()) * 1000 : Date.parse(v) - now;
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 86_400_000 ? seconds : undefined;
}
