/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is
 * `whsec_` + base64 key bytes; the signature is
 * `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")),
 * several separated by spaces while a rotated secret is still valid.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function signature(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

/** The `webhook-signature` header value: one signature per valid secret. */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => signature(s, id, timestamp, body)).join(' ');
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * For receivers: checks a delivery's signature against the raw body bytes
 * (never re-serialised JSON) and rejects timestamps outside the tolerance,
 * which stops replays. Headers may be a plain object (names in upper or lower case) or a
 * Headers instance.
 */
export function verifyWebhook(
  headers: Headers | Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  secret: string,
  toleranceSeconds = 300,
  now: () => number = Date.now,
): VerifyResult {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    // Node gives lower-case names; other frameworks (serverless events, say) may keep the sender's case.
    const key = name in headers ? name : Object.keys(headers).find((k) => k.toLowerCase() === name);
    const v = key === undefined ? undefined : headers[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = get('webhook-id');
  const ts = get('webhook-timestamp');
  const sigs = get('webhook-signature');
  if (id === undefined || ts === undefined || sigs === undefined) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  const timestamp = Number(ts);
  if (!Number.isInteger(timestamp)) return { ok: false, reason: 'webhook-timestamp is not a number' };
  if (Math.abs(now() / 1000 - timestamp) > toleranceSeconds)
    return { ok: false, reason: 'webhook-timestamp is outside the tolerance (a replay or a skewed clock)' };
  // The raw bytes as received: decoding and re-encoding could change them.
  const expected = Buffer.from(signature(secret, id, timestamp, rawBody));
  for (const candidate of sigs.split(' ')) {
    const got = Buffer.from(candidate);
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}
