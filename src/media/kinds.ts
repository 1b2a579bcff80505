/**
 * What WhatsApp accepts per media kind (Cloud API media table). The Cloud API
 * rejects anything else at upload or at send time, so we check before
 * accepting a message instead of failing it minutes later.
 */
export type MediaKind = 'image' | 'video' | 'audio' | 'document';

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'document'];

/** Meta's "MB" limits are binary megabytes. */
export const MB = 1024 * 1024;

export interface KindLimits {
  readonly maxBytes: number;
  /**
   * MIME types WhatsApp names for the kind. For documents this is only the list
   * of well-known types: any other type is still sent, as a generic document.
   */
  readonly mimes: readonly string[];
  /** False when types outside `mimes` are refused (image, video, audio). */
  readonly acceptsAnyType: boolean;
}

export const MEDIA_LIMITS: Readonly<Record<MediaKind, KindLimits>> = {
  image: { maxBytes: 5 * MB, mimes: ['image/jpeg', 'image/png'], acceptsAnyType: false },
  video: { maxBytes: 16 * MB, mimes: ['video/mp4', 'video/3gpp'], acceptsAnyType: false },
  audio: {
    maxBytes: 16 * MB,
    mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    acceptsAnyType: false,
  },
  document: {
    maxBytes: 100 * MB,
    mimes: [
      'application/pdf',
      'text/plain',
      'text/csv',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/zip',
    ],
    acceptsAnyType: true,
  },
};

/** The effective cap: WhatsApp's limit for the kind, lowered by the operator's global limit. */
export function maxBytesFor(kind: MediaKind, globalMax: number): number {
  return Math.min(MEDIA_LIMITS[kind].maxBytes, globalMax);
}
