import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { CodedError } from '../../src/domain/errors.js';
import { decodeBase64Media, StrictBase64Decoder } from '../../src/media/base64.js';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodedError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a CodedError');
}

describe('decodeBase64Media', () => {
  it('decodes raw base64', () => {
    const out = decodeBase64Media('aGVsbG8=', 100);
    expect(out.bytes.toString()).toBe('hello');
    expect(out.declaredMime).toBeUndefined();
  });

  it('decodes a data: URI and returns its MIME', () => {
    const out = decodeBase64Media('data:Image/PNG;name=x.png;base64,aGVsbG8=', 100);
    expect(out.bytes.toString()).toBe('hello');
    expect(out.declaredMime).toBe('image/png');
  });

  it('tolerates line breaks and spaces', () => {
    const out = decodeBase64Media(' aGVs\r\nbG8g\nd29y bGQ=\n', 100);
    expect(out.bytes.toString()).toBe('hello world');
  });

  it('rejects a character outside the alphabet and says where', () => {
    const err = codeOf(() => decodeBase64Media('aGVsbG8gd29y_GQ=', 100));
    expect(err.code).toBe('invalid_base64');
    expect(err.message).toContain('"_" at position 12');
  });

  it('counts positions from the start of a data: URI', () => {
    const err = codeOf(() => decodeBase64Media('data:image/png;base64,aGV*', 100));
    expect(err.message).toContain('"*" at position 25');
  });

  it('rejects base64url characters', () => {
    expect(codeOf(() => decodeBase64Media('ab-d', 100)).code).toBe('invalid_base64');
  });

  it('rejects missing padding', () => {
    const err = codeOf(() => decodeBase64Media('aGVsbG8', 100));
    expect(err.code).toBe('invalid_base64');
    expect(err.message).toContain('multiple of 4');
  });

  it('rejects "=" in the middle and too much padding', () => {
    expect(codeOf(() => decodeBase64Media('aG=\nsbG8=', 100)).message).toContain('"=" padding at position 2 is followed by more data');
    expect(codeOf(() => decodeBase64Media('aG=sbG8=', 100)).code).toBe('invalid_base64');
    expect(codeOf(() => decodeBase64Media('aG==bG8=', 100)).code).toBe('invalid_base64');
    expect(codeOf(() => decodeBase64Media('a===', 100)).code).toBe('invalid_base64');
  });

  it('rejects empty input, whitespace-only input and an empty data: URI', () => {
    expect(codeOf(() => decodeBase64Media('', 100)).code).toBe('invalid_base64');
    expect(codeOf(() => decodeBase64Media(' \n ', 100)).code).toBe('invalid_base64');
    expect(codeOf(() => decodeBase64Media('data:image/png;base64,', 100)).code).toBe('invalid_base64');
  });

  it('rejects data: URIs that are not base64', () => {
    expect(codeOf(() => decodeBase64Media('data:text/plain,hello', 100)).code).toBe('invalid_base64');
    expect(codeOf(() => decodeBase64Media('data:text/plain;base64', 100)).code).toBe('invalid_base64');
  });

  it('refuses an oversized payload from its length, without decoding it', () => {
    const huge = 'A'.repeat(2 * 1024 * 1024);
    const from = vi.spyOn(Buffer, 'from');
    try {
      const err = codeOf(() => decodeBase64Media(huge, 1024 * 1024));
      expect(err.code).toBe('media_too_large');
      expect(err.message).toBe('The media is 1.5 MB; the limit is 1 MB');
      expect(from).not.toHaveBeenCalled();
    } finally {
      from.mockRestore();
    }
  });

  it('accepts a payload of exactly maxBytes and refuses one byte more', () => {
    const bytes = randomBytes(300);
    expect(decodeBase64Media(bytes.toString('base64'), 300).bytes.length).toBe(300);
    expect(codeOf(() => decodeBase64Media(bytes.toString('base64'), 299)).code).toBe('media_too_large');
  });

  it('round-trips random bytes of every padding length', () => {
    for (const size of [1, 2, 3, 1000, 65_537]) {
      const bytes = randomBytes(size);
      expect(decodeBase64Media(bytes.toString('base64'), size).bytes.equals(bytes)).toBe(true);
    }
  });

  it('decodes a large payload wrapped at 76 characters exactly', () => {
    const bytes = randomBytes(4 * 1024 * 1024);
    const wrapped = bytes.toString('base64').replace(/.{76}/g, '$&\n');
    expect(decodeBase64Media(wrapped, 4 * 1024 * 1024).bytes.equals(bytes)).toBe(true);
  });

  it('decodes the same fed in pieces cut anywhere, a data: header and whitespace included, with the same errors at the same positions', () => {
    const bytes = randomBytes(10_001);
    const text = `data:image/png;base64,${bytes.toString('base64').replace(/(.{76})/g, '$1\n')}`;
    for (const cut of [1, 3, 7, 64, 1000, 4096]) {
      const d = new StrictBase64Decoder(20_000);
      for (let i = 0; i < text.length; i += cut) d.push(text.slice(i, i + cut));
      const out = d.end();
      expect(out.bytes.equals(bytes)).toBe(true);
      expect(out.declaredMime).toBe('image/png');
    }
    const bad = `${'A'.repeat(5000)}*AAA`;
    const whole = codeOf(() => decodeBase64Media(bad, 20_000));
    const pieces = codeOf(() => {
      const d = new StrictBase64Decoder(20_000);
      for (let i = 0; i < bad.length; i += 333) d.push(bad.slice(i, i + 333));
      return d.end();
    });
    expect(pieces).toEqual(whole);
    expect(whole.message).toContain('"*" at position 5000');
  });

  it('in pieces, an oversized payload is refused as soon as its count passes the limit', () => {
    const d = new StrictBase64Decoder(3_000);
    d.push('A'.repeat(4_000));
    expect(codeOf(() => d.push('A'.repeat(4_000))).code).toBe('media_too_large');
  });
});
