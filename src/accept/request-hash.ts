/**
 * The fingerprint of a send request that an idempotency key is bound to: the
 * message type and the fields a send is made of (`phone`, and `data`'s
 * `text`, `url`, `base64`, `filename`, `mimetype`), each as sent. Fields the
 * API ignores are not part of it (a retry that adds one is the same request),
 * and the work is linear in those fields alone, whatever else the body holds.
 */
import { createHash } from 'node:crypto';

const DATA_FIELDS = ['text', 'url', 'base64', 'filename', 'mimetype'] as const;

function field(value: unknown): string {
  // Only strings are valid values; anything else fails validation, and only its kind matters here.
  return typeof value === 'string' ? `s${value.length}:${value}` : value === undefined ? 'u' : `t:${typeof value}`;
}

/**
 * `base64Digest`: the SHA-256 of `data.base64` computed while a media body
 * streamed in (its place in the body then holds ''); it stands for the text.
 */
export function requestHash(type: string, body: { phone?: unknown; data?: unknown }, base64Digest?: string): string {
  const hash = createHash('sha256').update(type).update('\n').update(field(body.phone));
  const data = typeof body.data === 'object' && body.data !== null ? (body.data as Record<string, unknown>) : undefined;
  for (const name of DATA_FIELDS) {
    hash.update(`\n${name}=`).update(name === 'base64' && base64Digest !== undefined ? `d:${base64Digest}` : field(data?.[name]));
  }
  return hash.digest('base64url');
}
