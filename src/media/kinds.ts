/**
 * What WhatsApp accepts per media kind (Cloud API media table). The Cloud API
 * rejects anything else at upload or at send time, so we check before
 * accepting a message instead of failing it minutes later.
 */
export type MediaKind = 'image' | 'video' | 'audio' | 'document';

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'document'];

export function isMediaKind(s: string): s is MediaKind {
  return (MEDIA_KINDS as readonly string[]).includes(s);
}

/** Meta's "MB" limits are binary megabytes. */
export const MB = 1024 * 1024;

/**
 * The largest file WhatsApp takes per kind. Which formats each kind accepts is
 * decided from the bytes, in sniff.ts.
 */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaKind, number>> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  document: 100 * MB,
};

/** The effective cap: WhatsApp's limit for the kind, lowered by the operator's global limit. */
export function maxBytesFor(kind: MediaKind, globalMax: number): number {
  return Math.min(MEDIA_MAX_BYTES[kind], globalMax);
}
