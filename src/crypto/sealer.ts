/**
 * Secrets at rest (WhatsApp session keys, engine credentials): AES-256-GCM
 * with a fresh random 96-bit nonce per seal and a 16-byte tag. The sealed form
 * is `version (1) | nonce (12) | tag (16) | ciphertext`. A context string
 * (e.g. instance, key type and id) is bound as associated data, so a sealed
 * value copied to another row does not open there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CodedError } from '../domain/errors.js';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;
const HEADER = 1 + NONCE + TAG;

export class Sealer {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
    this.key = Buffer.from(key);
  }

  seal(plaintext: Buffer | string, context: string): Buffer {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < HEADER || sealed[0] !== VERSION) {
      throw new CodedError('secret_unreadable', 'A stored secret is not in a known sealed format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 1 + NONCE));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.subarray(1 + NONCE, HEADER));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
    } catch {
      throw new CodedError('secret_unreadable', 'A stored secret could not be decrypted: wrong CONNEXA_SECRET_KEY or tampered data');
    }
  }
}

/** Parses CONNEXA_SECRET_KEY: 32 bytes as 64 hex digits or as base64/base64url. */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return b.length === 32 ? b : undefined;
  }
  return undefined;
}
