import { describe, expect, it } from 'vitest';
import { formatBytes, sizeComparison } from '../../src/media/format-size.js';
import { MB, MEDIA_MAX_BYTES, maxBytesFor } from '../../src/media/kinds.js';

describe('media limits', () => {
  it('follows the Cloud API table', () => {
    expect(MEDIA_MAX_BYTES).toEqual({ image: 5 * 1024 * 1024, video: 16 * MB, audio: 16 * MB, document: 100 * MB });
  });

  it('takes the lower of the WhatsApp and the operator limit', () => {
    expect(maxBytesFor('image', 50 * MB)).toBe(5 * MB);
    expect(maxBytesFor('document', 20 * MB)).toBe(20 * MB);
  });
});

describe('size formatting', () => {
  it.each([
    [1, '1 byte'],
    [512, '512 bytes'],
    [1536, '1.5 KB'],
    [5 * MB, '5 MB'],
    [6.25 * MB, '6.2 MB'],
  ])('%i → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('falls back to exact bytes when rounding would hide the difference', () => {
    expect(sizeComparison('The media', 6.5 * MB, 5 * MB)).toBe('The media is 6.5 MB; the limit is 5 MB');
    expect(sizeComparison('The media', 5 * MB + 1, 5 * MB)).toBe('The media is 5242881 bytes; the limit is 5242880 bytes (5 MB)');
  });
});
