/**
 * Failed Basic auth is counted per user_id + client address, against the real
 * server: past the threshold further wrong attempts from that pair get 429
 * with Retry-After, held back; the right password always works (a stranger
 * cannot lock a tenant out); another user's failures count separately.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_AUTH_MAX_FAILURES: '5', CONNEXA_AUTH_FAILURE_WINDOW_S: '60', CONNEXA_AUTH_LOCKOUT_DELAY_MS: '300' });
});
afterAll(async () => g?.stop());

/** GET /api/v1/instance with this Authorization, from 127.0.0.1 or another loopback address. */
function status(auth: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | null; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${g.url}/api/v1/instance`, { headers: { authorization: auth }, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const body = JSON.parse(text) as { error?: { code: string } };
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, code: body.error?.code });
      });
    });
    req.on('error', reject);
  });
}

describe('failed sign-ins', () => {
  it('throttles wrong attempts of the user_id + address after the threshold, never the right credentials', async () => {
    const victim = await g.tenant();
    const bystander = await g.tenant();
    // A client of the victim that signed in before the attack.
    expect((await status(victim.auth)).status).toBe(200);

    const wrong = basic(victim.userId, 'cnx_wrong-password');
    for (let i = 0; i < 5; i++) expect((await status(wrong)).status).toBe(401);
    const lockedAt = Date.now();
    const locked = await status(wrong);
    expect(locked.status).toBe(429);
    // Held back (a tarpit), so a guesser's connections mostly wait.
    expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(290);
    expect(locked.code).toBe('too_many_auth_failures');
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    // The right password from the same address (one proxy for everybody, say) still signs in at once,
    // spelled differently from the signed-in client's header so it is a fresh lookup…
    const rightPassword = basic(victim.userId, victim.token).replace('Basic', 'basic');
    expect((await status(rightPassword)).status).toBe(200);
    // …as does the client that was already signed in; the guesser is still refused.
    expect((await status(victim.auth)).status).toBe(200);
    expect((await status(wrong)).status).toBe(429);

    // Another user from the same address is not locked out, and their failures count separately.
    expect((await status(bystander.auth)).status).toBe(200);
    expect((await status(basic(bystander.userId, 'nope'))).status).toBe(401);
    // The same user from another address still signs in.
    expect((await status(rightPassword, '127.0.0.2')).status).toBe(200);
  });

  it('a successful sign-in does not give a guesser a fresh count', async () => {
    const t = await g.tenant();
    const wrong = basic(t.userId, 'wrong');
    for (let i = 0; i < 5; i++) expect((await status(wrong)).status).toBe(401);
    expect((await status(t.auth.replace('Basic', 'basic'))).status).toBe(200);
    expect((await status(wrong)).status).toBe(429);
  });

  it('wrong admin tokens are throttled the same way; the right one still works', async () => {
    const admin = async (token: string) =>
      (
        await fetch(`${g.url}/api/v1/admin/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x' }),
        })
      ).status;
    for (let i = 0; i < 5; i++) expect(await admin('not-the-admin-token-at-all')).toBe(401);
    expect(await admin('not-the-admin-token-at-all')).toBe(429);
    expect(await admin(ADMIN_TOKEN)).toBe(201);
  });

  it('behind a trusted proxy, the client address comes from X-Forwarded-For; from anyone else it is ignored', async () => {
    const proxied = await startTestGateway({
      CONNEXA_AUTH_MAX_FAILURES: '2',
      CONNEXA_AUTH_LOCKOUT_DELAY_MS: '0',
      CONNEXA_TRUSTED_PROXIES: '127.0.0.1',
    });
    try {
      const t = await proxied.tenant();
      const attempt = async (forwardedFor: string) =>
        (
          await fetch(`${proxied.url}/api/v1/instance`, {
            headers: { authorization: basic(t.userId, 'wrong'), 'x-forwarded-for': forwardedFor },
          })
        ).status;
      expect([await attempt('203.0.113.5'), await attempt('203.0.113.5'), await attempt('203.0.113.5')]).toEqual([401, 401, 429]);
      // Another client behind the same proxy is not throttled for the first one's guesses.
      expect(await attempt('198.51.100.7')).toBe(401);
    } finally {
      await proxied.stop();
    }
    // Without trusted proxies the header is only a header: all these come from 127.0.0.1.
    const t = await g.tenant();
    const direct = async (forwardedFor: string) =>
      (
        await fetch(`${g.url}/api/v1/instance`, {
          headers: { authorization: basic(t.userId, 'wrong'), 'x-forwarded-for': forwardedFor },
        })
      ).status;
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await direct(`192.0.2.${i}`));
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
  });
});
