import { describe, expect, it } from 'vitest';
import { checkMediaUrlSyntax } from '../../src/media/safe-fetch.js';

describe('checkMediaUrlSyntax', () => {
  it.each(['https://cdn.example.com/a.jpg', 'http://example.com:8080/x?y=1', 'https://8.8.8.8/a.png'])('accepts %s', (url) => {
    expect(checkMediaUrlSyntax(url)).toBeUndefined();
  });

  it.each([
    ['', 'not a valid absolute URL'],
    ['/relative/path.jpg', 'not a valid absolute URL'],
    ['file:///etc/passwd', 'not file'],
    ['ftp://example.com/a', 'not ftp'],
    ['data:image/png;base64,AAAA', 'not data'],
    ['https://user:secret@example.com/a.jpg', 'username or password'],
    ['https://user@example.com/a.jpg', 'username or password'],
    [`https://example.com/${'a'.repeat(2048)}`, 'the limit is 2048'],
  ])('refuses %j as invalid_url', (url, says) => {
    const error = checkMediaUrlSyntax(url);
    expect(error?.code).toBe('invalid_url');
    expect(error?.message).toContain(says);
    expect(error?.message).not.toContain('secret');
  });

  it.each(['http://127.0.0.1/a', 'http://0x7f.1/a', 'http://[::ffff:127.0.0.1]/a', 'http://169.254.169.254/latest/meta-data'])(
    'refuses the private literal %s unless private networks are allowed',
    (url) => {
      expect(checkMediaUrlSyntax(url)?.code).toBe('media_url_blocked');
      expect(checkMediaUrlSyntax(url, true)).toBeUndefined();
    },
  );

  it('leaves DNS names to fetch time', () => {
    expect(checkMediaUrlSyntax('http://localhost/a')).toBeUndefined();
  });
});
