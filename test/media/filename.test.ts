import { describe, expect, it } from 'vitest';
import { documentFilename, sanitizeFilename } from '../../src/media/filename.js';

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['  spaced name.pdf  ', 'spaced name.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\report.pdf', 'report.pdf'],
    ['a\u0000b\u001fc\u007f.txt', 'abc.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['Relatório.pdf', 'Relatório.pdf'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it.each(['', '   ', '.', '..', '...', 'dir/', 'a/..', '\u0000\u0001'])('%j is unusable', (input) => {
    expect(sanitizeFilename(input)).toBeUndefined();
  });

  it('caps at 200 characters and keeps the extension', () => {
    const out = sanitizeFilename(`${'x'.repeat(300)}.pdf`);
    expect(out).toHaveLength(200);
    expect(out?.endsWith('x.pdf')).toBe(true);
  });

  it.each([
    // exactly at the cap: untouched
    [`${'x'.repeat(196)}.pdf`, `${'x'.repeat(196)}.pdf`],
    // one over: the stem gives way, the extension stays
    [`${'x'.repeat(197)}.pdf`, `${'x'.repeat(196)}.pdf`],
    // a 16-character extension (the longest kept) stays; a 17-character one is cut like the rest
    [`${'x'.repeat(300)}.${'e'.repeat(15)}`, `${'x'.repeat(184)}.${'e'.repeat(15)}`],
    [`${'x'.repeat(300)}.${'e'.repeat(16)}`, 'x'.repeat(200)],
    // a lone dot at the end, or a name that is all extension, is not an extension
    [`${'x'.repeat(300)}.`, 'x'.repeat(200)],
    [`.${'x'.repeat(300)}`, `.${'x'.repeat(199)}`],
    // spaces where the stem is cut are not kept before the extension
    [`${'x'.repeat(195)}   ${'y'.repeat(10)}.pdf`, `${'x'.repeat(195)}.pdf`],
  ])('caps %#: a long name keeps what fits and its extension', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('counts code points, never splitting an emoji', () => {
    const out = sanitizeFilename('😀'.repeat(250)) ?? '';
    expect(Array.from(out)).toHaveLength(200);
    expect(out).toBe('😀'.repeat(200));
  });
});

describe('documentFilename', () => {
  const base = { mime: 'application/pdf', extension: 'pdf' };

  it('keeps a given filename (sanitised)', () => {
    expect(documentFilename({ ...base, given: '/tmp/Q3 report.pdf', url: 'https://x.test/a.pdf' })).toBe('Q3 report.pdf');
  });

  it('falls back to the URL when the given name is unusable', () => {
    expect(documentFilename({ ...base, given: '..', url: 'https://x.test/files/Q3%20report.pdf?sig=1' })).toBe('Q3 report.pdf');
  });

  it('adds the sniffed extension to a URL name without one', () => {
    expect(documentFilename({ ...base, url: 'https://x.test/download' })).toBe('download.pdf');
  });

  it('does not let an encoded slash smuggle a path', () => {
    expect(documentFilename({ ...base, url: 'https://x.test/a/..%2F..%2Fsecret.pdf' })).toBe('secret.pdf');
  });

  it('uses document.<ext> when nothing names the file', () => {
    expect(documentFilename({ ...base, url: 'https://x.test/' })).toBe('document.pdf');
    expect(documentFilename({ ...base, url: 'https://x.test/dir/%2e%2e' })).toBe('document.pdf');
    expect(documentFilename(base)).toBe('document.pdf');
  });

  it('tolerates a malformed escape in the URL', () => {
    expect(documentFilename({ ...base, url: 'https://x.test/100%25%zz.pdf' })).toBe('100%%zz.pdf');
  });
});
