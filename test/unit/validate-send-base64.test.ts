/**
 * SendValidator given `data.base64` as a string (no body decoded as it
 * arrived): the file is held to its kind's limit, not the operator's global
 * cap. HTTP sends stream the base64 (e2e/media-limits.test.ts); this is the
 * validator's own path for a caller that hands it the text.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/domain/errors.js';
import { PhoneNormalizer } from '../../src/domain/phone.js';
import { SendValidator } from '../../src/accept/validate-send.js';
import { MB } from '../../src/media/kinds.js';
import { isoBmff, png } from '../media/media-samples.js';

const validator = new SendValidator(new PhoneNormalizer(), { mediaMaxBytes: 100 * MB, allowPrivateNetworks: false }, () => 'm-1');

/** base64 of a file of `size` bytes that sniffs as `sample`'s format (its header, then zeros). */
function base64Of(sample: Uint8Array, size: number): string {
  const out = Buffer.alloc(size);
  out.set(sample);
  return out.toString('base64');
}

async function refusal(type: 'image' | 'video' | 'audio', base64: string): Promise<ApiError> {
  const err: unknown = await validator.validate(type, 'inst-1', { phone: '5511999999999', data: { base64 } }).catch((e: unknown) => e);
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

describe('SendValidator with data.base64 as text', () => {
  const kinds = [
    { type: 'image', limit: 5 * MB, sample: png() },
    { type: 'video', limit: 16 * MB, sample: isoBmff('isom') },
    { type: 'audio', limit: 16 * MB, sample: isoBmff('M4A ') },
  ] as const;

  for (const { type, limit, sample } of kinds) {
    it(`takes a file of exactly the ${type} limit and refuses one byte more`, async () => {
      const message = await validator.validate(type, 'inst-1', { phone: '5511999999999', data: { base64: base64Of(sample, limit) } });
      expect(message.media?.bytes?.length).toBe(limit);
      const err = await refusal(type, base64Of(sample, limit + 1));
      expect(err.status).toBe(400);
      expect(err.code).toBe('media_too_large');
      expect(err.details?.[0]?.field).toBe('data.base64');
    });
  }
});
