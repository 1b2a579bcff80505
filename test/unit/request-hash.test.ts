/** The idempotency fingerprint covers what a send is made of, nothing else. */
import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/accept/request-hash.js';

describe('requestHash', () => {
  const base = { phone: '554499999999', data: { text: 'hi' } };
  it('is the same for the same send, whatever else the body holds or its key order', () => {
    expect(requestHash('text', { data: { text: 'hi' }, phone: '554499999999' })).toBe(requestHash('text', base));
    expect(requestHash('text', { ...base, data: { text: 'hi', extra: { deep: [1, [2]] } }, other: 1 } as typeof base)).toBe(requestHash('text', base));
  });

  it('differs when the type or any field of the send differs, including a field moving into another', () => {
    const h = requestHash('text', base);
    expect(requestHash('image', base)).not.toBe(h);
    expect(requestHash('text', { ...base, phone: '554499999998' })).not.toBe(h);
    expect(requestHash('text', { ...base, data: { text: 'hi!' } })).not.toBe(h);
    expect(requestHash('image', { phone: 'x', data: { url: 'a', filename: 'b' } })).not.toBe(requestHash('image', { phone: 'x', data: { url: 'ab' } }));
    expect(requestHash('text', { ...base, data: { text: 1 } })).not.toBe(requestHash('text', { ...base, data: { text: '1' } }));
    // No text at all is not an empty text.
    expect(requestHash('text', { phone: base.phone })).not.toBe(requestHash('text', { phone: base.phone, data: { text: '' } }));
  });
});
