import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealer, parseSecretKey } from '../../src/crypto/sealer.js';

describe('sealing secrets at rest', () => {
  const sealer = new Sealer(randomBytes(32));

  it('round-trips, with a fresh nonce every time', () => {
    const a = sealer.seal('the session key', 'inst/session/1');
    const b = sealer.seal('the session key', 'inst/session/1');
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(sealer.open(a, 'inst/session/1').toString()).toBe('the session key');
    expect(a.toString('latin1')).not.toContain('session key');
  });

  it('refuses a value moved to another context, a flipped bit, or another key', () => {
    const sealed = sealer.seal('secret', 'inst-a/creds');
    expect(() => sealer.open(sealed, 'inst-b/creds')).toThrow(/could not be decrypted/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(() => sealer.open(flipped, 'inst-a/creds')).toThrow(/could not be decrypted/);
    expect(() => new Sealer(randomBytes(32)).open(sealed, 'inst-a/creds')).toThrow(/could not be decrypted/);
    expect(() => sealer.open(Buffer.from('plain'), 'inst-a/creds')).toThrow(/sealed format/);
  });

  it('parses keys as hex or base64 of exactly 32 bytes', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex'))?.equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64'))?.equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64url'))?.equals(key)).toBe(true);
    expect(parseSecretKey('too-short')).toBeUndefined();
    expect(parseSecretKey(randomBytes(16).toString('hex'))).toBeUndefined();
  });
});
