/** Our signatures against an independent Standard Webhooks implementation, and our verifier. */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader, verifyWebhook } from '../../src/webhooks/signature.js';

describe('Standard Webhooks signatures', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ id: 'evt_1', type: 'message.read', data: { text: 'olá ✓' } });
  const now = Math.floor(Date.now() / 1000);

  it('verify with the standardwebhooks package, also with a second (rotated) secret in the header', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const old = generateWebhookSecret();
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([secret, old], 'evt_1', now, body) };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'message.read' });
    expect(new Webhook(old).verify(body, headers)).toMatchObject({ type: 'message.read' });
  });

  it('verifyWebhook accepts a good delivery and rejects tampering, other secrets and old timestamps', () => {
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([secret], 'evt_1', now, body) };
    expect(verifyWebhook(headers, body, secret)).toEqual({ ok: true });
    expect(verifyWebhook(new Headers(headers), Buffer.from(body), secret)).toEqual({ ok: true });
    expect(verifyWebhook(headers, body.replace('read', 'sent'), secret).ok).toBe(false);
    expect(verifyWebhook(headers, body, generateWebhookSecret()).ok).toBe(false);
    const old = now - 3600;
    const replay = { ...headers, 'webhook-timestamp': String(old), 'webhook-signature': signatureHeader([secret], 'evt_1', old, body) };
    expect(verifyWebhook(replay, body, secret, 300)).toEqual({ ok: false, reason: expect.stringMatching(/tolerance/) });
    expect(() => new Webhook(secret).verify(body, replay)).toThrow();
  });

  it('verifyWebhook: the tolerance at its edge, future timestamps, missing or odd headers, a header in another case', () => {
    const at = 1_800_000_000;
    const signed = (ts: number) => ({
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': signatureHeader([secret], 'evt_1', ts, body),
    });
    const clock = () => at * 1000;
    expect(verifyWebhook(signed(at - 300), body, secret, 300, clock)).toEqual({ ok: true });
    expect(verifyWebhook(signed(at - 301), body, secret, 300, clock).ok).toBe(false);
    expect(verifyWebhook(signed(at + 300), body, secret, 300, clock)).toEqual({ ok: true });
    expect(verifyWebhook(signed(at + 301), body, secret, 300, clock).ok).toBe(false);
    const { 'webhook-id': _id, ...noId } = signed(at);
    expect(verifyWebhook(noId, body, secret, 300, clock)).toEqual({ ok: false, reason: expect.stringMatching(/missing/) });
    expect(verifyWebhook({ ...signed(at), 'webhook-timestamp': 'soon' }, body, secret, 300, clock)).toEqual({
      ok: false,
      reason: expect.stringMatching(/not a number/),
    });
    // Plain objects keyed as a framework might pass them, repeated headers as arrays.
    const h = signed(at);
    expect(
      verifyWebhook(
        { 'Webhook-Id': h['webhook-id'], 'webhook-timestamp': [h['webhook-timestamp']], 'Webhook-Signature': h['webhook-signature'] },
        body,
        secret,
        300,
        clock,
      ),
    ).toEqual({ ok: true });
    expect(verifyWebhook({ ...h, 'webhook-timestamp': [h['webhook-timestamp'], '1'] }, body, secret, 300, clock)).toEqual({ ok: true });
    expect(verifyWebhook({ ...h, 'webhook-signature': `v1,bogus ${h['webhook-signature']}` }, body, secret, 300, clock)).toEqual({ ok: true });
    expect(verifyWebhook({ ...h, 'webhook-signature': 'v1,bogus' }, body, secret, 300, clock)).toEqual({ ok: false, reason: 'no signature matches' });
  });
});
