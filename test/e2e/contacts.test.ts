/**
 * GET /api/v1/contacts/{phone} is answered by the instance's engine: the
 * sandbox by its magic numbers, a WhatsApp instance by its linked number, and
 * an unlinked one says so (409 with Retry-After) instead of guessing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSocket } from '../helpers/fake-socket.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
beforeAll(async () => {
  // A socket that never opens: the WhatsApp instance stays unlinked.
  g = await startTestGateway({ CONNEXA_WHATSAPP_START_STAGGER_MS: '0' }, (auth) => new FakeSocket(auth));
});
afterAll(() => g.stop());

it('a sandbox instance answers from its magic numbers', async () => {
  const t = await g.tenant('sandbox');
  expect((await g.get(t, '/api/v1/contacts/15550100404')).body).toEqual({ phone: '15550100404', on_whatsapp: false, jid: null });
  expect((await g.get(t, '/api/v1/contacts/+55 44 9999-9999')).body).toEqual({ phone: '554499999999', on_whatsapp: true, jid: '554499999999@s.whatsapp.net' });
});

it('an unlinked WhatsApp instance answers 409 instance_not_connected with Retry-After', async () => {
  const t = await g.tenant('baileys');
  const res = await fetch(`${g.url}/api/v1/contacts/554499999999`, { headers: { authorization: t.auth } });
  expect(res.status).toBe(409);
  expect(res.headers.get('retry-after')).toBe('5');
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('instance_not_connected');
});
