import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/domain/errors.js';
import type { MediaKind } from '../../src/media/kinds.js';
import { sniffMedia } from '../../src/media/sniff.js';
import * as sample from './media-samples.js';

async function failure(bytes: Uint8Array, kind: MediaKind): Promise<CodedError> {
  const error: unknown = await sniffMedia(bytes, kind, { field: 'data.base64' }).then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(error instanceof CodedError)) throw error;
  return error;
}

describe('sniffMedia accepts what WhatsApp accepts', () => {
  it.each([
    ['png', sample.png, 'image', 'image/png', 'png'],
    ['jpeg', sample.jpeg, 'image', 'image/jpeg', 'jpg'],
    ['mp4', () => sample.isoBmff('isom'), 'video', 'video/mp4', 'mp4'],
    ['3gp', () => sample.isoBmff('3gp5'), 'video', 'video/3gpp', '3gp'],
    ['mp3', sample.mp3, 'audio', 'audio/mpeg', 'mp3'],
    ['m4a', () => sample.isoBmff('M4A '), 'audio', 'audio/mp4', 'm4a'],
    ['pdf', sample.pdf, 'document', 'application/pdf', 'pdf'],
    ['png as document', sample.png, 'document', 'image/png', 'png'],
  ] as const)('%s', async (_name, make, kind, mime, extension) => {
    const out = await sniffMedia(make(), kind, {});
    expect(out).toEqual({ mime, extension });
  });

  it('marks OGG/Opus audio as a voice note', async () => {
    expect(await sniffMedia(sample.opus(), 'audio', {})).toEqual({
      mime: 'audio/ogg; codecs=opus',
      extension: 'ogg',
      voiceNote: true,
    });
  });

  it('ignores a declared MIME for media kinds', async () => {
    const out = await sniffMedia(sample.png(), 'image', { declaredMime: 'image/jpeg', filename: 'x.jpg' });
    expect(out.mime).toBe('image/png');
  });
});

describe('sniffMedia refuses', () => {
  it.each([
    ['webp image', sample.webp, 'image', 'media_type_not_allowed', 'image/webp'],
    ['gif image', sample.gif, 'image', 'media_type_not_allowed', 'image/gif'],
    ['quicktime video', () => sample.isoBmff('qt  '), 'video', 'media_type_not_allowed', 'video/quicktime'],
    ['vorbis audio', sample.vorbis, 'audio', 'media_type_not_allowed', 'audio/ogg'],
    ['pdf as image', sample.pdf, 'image', 'media_type_mismatch', 'application/pdf'],
    ['png as video', sample.png, 'video', 'media_type_mismatch', 'image/png'],
    ['mp3 as video', sample.mp3, 'video', 'media_type_mismatch', 'audio/mpeg'],
    ['mp4 as image', () => sample.isoBmff('isom'), 'image', 'media_type_mismatch', 'video/mp4'],
  ] as const)('%s', async (_name, make, kind, code, named) => {
    const error = await failure(make(), kind);
    expect(error.code).toBe(code);
    expect(error.message).toContain(named);
    expect(error.message).toContain('data.base64');
  });

  it('names the mismatch the way clients read it', async () => {
    expect((await failure(sample.png(), 'video')).message).toBe('data.base64 holds image/png, which cannot be sent as video');
  });

  it.each(['image', 'video', 'audio'] as const)('unidentifiable bytes as %s', async (kind) => {
    const error = await failure(sample.text(), kind);
    expect(error.code).toBe('media_type_unknown');
    expect(error.message).not.toContain('alice');
  });

  it('empty media', async () => {
    expect((await failure(new Uint8Array(0), 'document')).code).toBe('media_empty');
  });
});

describe('sniffMedia labels documents without magic bytes', () => {
  const csv = sample.text();

  it('uses a declared MIME, without parameters', async () => {
    expect(await sniffMedia(csv, 'document', { declaredMime: 'text/csv; charset=utf-8' })).toEqual({
      mime: 'text/csv',
      extension: 'csv',
    });
  });

  it('falls back to the filename extension', async () => {
    expect(await sniffMedia(csv, 'document', { filename: 'Report.TXT' })).toEqual({ mime: 'text/plain', extension: 'txt' });
  });

  it('prefers the filename over a generic declared type', async () => {
    const out = await sniffMedia(csv, 'document', { declaredMime: 'application/octet-stream', filename: 'a.json' });
    expect(out).toEqual({ mime: 'application/json', extension: 'json' });
  });

  it.each(['text/html', 'image/svg+xml', 'application/javascript', 'image/png', 'not a mime'])('does not believe a declared %s', async (declaredMime) => {
    expect(await sniffMedia(csv, 'document', { declaredMime })).toEqual({
      mime: 'application/octet-stream',
      extension: 'bin',
    });
  });

  it('keeps an unknown but well-formed declared type', async () => {
    const out = await sniffMedia(csv, 'document', { declaredMime: 'application/x-custom', filename: 'a.cst' });
    expect(out).toEqual({ mime: 'application/x-custom', extension: 'cst' });
  });

  it('tells legacy Office formats apart by the hint', async () => {
    expect(await sniffMedia(sample.cfb(), 'document', { filename: 'budget.xls' })).toEqual({
      mime: 'application/vnd.ms-excel',
      extension: 'xls',
    });
    expect((await sniffMedia(sample.cfb(), 'document', {})).mime).toBe('application/x-cfb');
    // A declared type names it too (with parameters, in any case); a hint that is not legacy Office does not.
    expect(await sniffMedia(sample.cfb(), 'document', { declaredMime: 'Application/MSWord; charset=binary' })).toEqual({
      mime: 'application/msword',
      extension: 'doc',
    });
    expect((await sniffMedia(sample.cfb(), 'document', { filename: 'notes.txt' })).mime).toBe('application/x-cfb');
    // Magic bytes of another format are never relabelled by an Office hint.
    expect((await sniffMedia(sample.pdf(), 'document', { filename: 'budget.xls' })).mime).toBe('application/pdf');
  });

  it('trusts magic bytes over the hints', async () => {
    const out = await sniffMedia(sample.pdf(), 'document', { declaredMime: 'text/plain', filename: 'x.txt' });
    expect(out.mime).toBe('application/pdf');
  });
});
