import { describe, expect, it } from 'vitest';
import { normalizePhone, PhoneNormalizer } from '../../src/domain/phone.js';
import { retryDelayMs } from '../../src/util/backoff.js';
import { deriveProviderId } from '../../src/domain/provider-id.js';
import { generateToken, hashToken } from '../../src/domain/tokens.js';

describe('phone normalisation', () => {
  it.each([
    ['554499999999', '554499999999'],
    ['+55 44 9999-9999', '554499999999'],
    ['+55 (44) 99999.9999', '5544999999999'],
    ['1 (555) 010-0404', '15550100404'],
  ])('%s → %s', (input, digits) => {
    const r = normalizePhone(input);
    expect(r).toEqual({ ok: true, digits });
  });

  it.each([['abc'], ['55 44 x'], ['0044999999'], ['5544'], ['1234567890123456']])('%s is invalid_phone', (input) => {
    const r = normalizePhone(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('invalid_phone');
  });

  it('the cache returns the same answer as a fresh parse', () => {
    const n = new PhoneNormalizer(2);
    for (const p of ['554499999999', '+55 44 9999-9999', '554499999999', 'x1', '15550100404']) {
      expect(n.normalize(p)).toEqual(normalizePhone(p));
    }
  });
});

describe('retry backoff', () => {
  it('doubles, is capped, and is jittered into [0.5, 1) of the step', () => {
    expect(retryDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(3, 100, 10_000, () => 0.999)).toBeCloseTo(400, -1);
    expect(retryDelayMs(30, 100, 10_000, () => 0.999)).toBeLessThanOrEqual(10_000);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, 1000, 60_000)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

describe('ids and tokens', () => {
  it('provider ids are derived, not random: a resend carries the same id', () => {
    const id = 'fc21e5b5-b79b-4eaa-a81a-bc12a754e129';
    expect(deriveProviderId('SBX', id, 0)).toBe(deriveProviderId('SBX', id, 0));
    expect(deriveProviderId('SBX', id, 0)).not.toBe(deriveProviderId('SBX', id, 1));
  });

  it('tokens carry the cnx_ prefix and 256 random bits; the stored form is their SHA-256', () => {
    const token = generateToken();
    expect(token).toMatch(/^cnx_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toBe(hashToken(`${token}x`));
  });
});

describe('UUID v7 message ids', () => {
  it('are valid v7 UUIDs, unique, and sort by creation time', async () => {
    const { UuidV7 } = await import('../../src/domain/uuid7.js');
    let t = 1_700_000_000_000;
    const gen = new UuidV7(() => t);
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      if (i % 100 === 0) t += 1;
      ids.push(gen.next());
    }
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]?.slice(0, 13)).toBe('018bcfe5-6801');
    const byMs = ids.filter((_, i) => i % 100 === 0);
    expect([...byMs].sort()).toEqual(byMs);
  });
});
