/**
 * Failed Basic auth is counted per user_id + client address, against the real
 * server: past the threshold that pair gets 429 with Retry-After even with
 * the right password; another user, or the same user from another address,
 * is not locked out; a client already signed in keeps working.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestGateway, type TestGateway } from '../helpers/gateway.js';

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
      res.on('data', (chunk: string) => { text += chunk; });
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
  it('locks the user_id + address after the threshold, and only that pair', async () => {
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
    // The right password from the same address does not get through either…
    // (Spelled differently from the signed-in client's header, so it is a fresh lookup.)
    const rightPassword = basic(victim.userId, victim.token).replace('Basic', 'basic');
    expect((await status(rightPassword)).status).toBe(429);
    // …but the client that was already signed in is not slowed or refused.
    expect((await status(victim.auth)).status).toBe(200);

    // Another user from the same address is not locked out, and their failures count separately.
    expect((await status(bystander.auth)).status).toBe(200);
    expect((await status(basic(bystander.userId, 'nope'))).status).toBe(401);
    // The same user from another address still signs in.
    expect((await status(rightPassword, '127.0.0.2')).status).toBe(200);
  });

  it('a successful sign-in clears the count', async () => {
    const t = await g.tenant();
    const wrong = basic(t.userId, 'wrong');
    for (let i = 0; i < 4; i++) expect((await status(wrong)).status).toBe(401);
    expect((await status(t.auth.replace('Basic', 'basic'))).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await status(wrong)).status).toBe(401);
    expect((await status(t.auth.replace('Basic', 'BASIC'))).status).toBe(200);
  });
});
