import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseHostLiteral } from '../../src/media/address-guard.js';

/** What the media fetcher decides for a URL host, the way it sees it: through the WHATWG parser. */
function hostIsPublic(host: string): boolean {
  const literal = parseHostLiteral(new URL(`http://${host}/`).hostname);
  if (literal === undefined) throw new Error(`${host} was not recognised as an IP literal`);
  return isPublicAddress(literal);
}

describe('address guard', () => {
  it.each([
    '127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f000001',
    '0x7f.1',
    '017700000001',
    '0177.0.0.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[::ffff:169.254.169.254]',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '0',
    '[::]',
    '[fd00::1]',
    '[fc00::1]',
    '[fe80::1]',
    '[fec0::1]',
    '[64:ff9b::7f00:1]',
    '[64:ff9b::808:808]',
    '[64:ff9b:1::a00:1]',
    '[2002:7f00:1::]',
    '[2002:808:808::]',
    '[2001:0:4136:e378:8000:63bf:3fff:fdd2]',
    '[::7f00:1]',
    '[::127.0.0.1]',
    '224.0.0.1',
    '239.255.255.250',
    '[ff02::1]',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '240.0.0.1',
    '[2001:db8::1]',
    '[100::1]',
  ])('blocks %s', (host) => {
    expect(hostIsPublic(host)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '[2606:4700::1111]', '[2001:4860:4860::8888]', '[::ffff:8.8.8.8]'])('allows %s', (host) => {
    expect(hostIsPublic(host)).toBe(true);
  });

  it('refuses strings that are not addresses', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
    expect(isPublicAddress('8.8.8.8.8')).toBe(false);
  });

  it('recognises literals with or without brackets and ignores DNS names', () => {
    expect(parseHostLiteral('[::ffff:7f00:1]')).toBe('::ffff:7f00:1');
    expect(parseHostLiteral('::1')).toBe('::1');
    expect(parseHostLiteral('0x7f.1')).toBe('127.0.0.1');
    expect(parseHostLiteral('example.com')).toBeUndefined();
    expect(parseHostLiteral('1.2.3.4.example')).toBeUndefined();
  });
});
