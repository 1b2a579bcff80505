/** How fast one WhatsApp number sends (engines/baileys/pacer.ts applies it; an instance's config may change it). */
export interface PacingSettings {
  /** Minimum time between two sends of the instance. */
  minGapMs: number;
  /** Up to this much more, at random, on top of the gap. */
  jitterMs: number;
  /** Sends allowed in every 60 s window. */
  perMinute: number;
  /** Show "typing…" before a text, for a time sized to its length. */
  typing: boolean;
}

/** Safe for a fresh number: about 12 messages a minute at most, never in a regular rhythm. */
export const DEFAULT_PACING: Readonly<PacingSettings> = Object.freeze({ minGapMs: 3_000, jitterMs: 2_000, perMinute: 12, typing: true });
