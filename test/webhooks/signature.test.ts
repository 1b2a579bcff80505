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
});
