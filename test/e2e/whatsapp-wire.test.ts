/**
 * The whole gateway with the real Baileys socket, over the wire to the local
 * fake WhatsApp server (test/fakes/whatsapp-server.ts): linked by QR through
 * the API, messages sent through the API are encrypted by Baileys for the
 * contact's phone, and the server's acks and receipts come back through
 * Baileys' own handlers to the message's status.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeWhatsAppServer, type FakeConnection } from '../fakes/whatsapp-server.js';
import { startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';

const OWN = '5544000000000';
const CONTACT = '5544999999999';
const PACING_OFF = { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } };

let server: FakeWhatsAppServer;
let gw: TestGateway;
let t: Tenant;

beforeEach(async () => {
  server = await FakeWhatsAppServer.start();
  server.addContact(CONTACT);
  gw = await startTestGateway({ CONNEXA_WHATSAPP_WS_URL: server.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0' });
  t = await gw.tenant('baileys', PACING_OFF);
});

afterEach(async () => {
  await gw.stop();
  await server.close();
});

/** Links the tenant's instance by QR as a person would (the API shows the code, the phone scans it), then logs in. */
async function link(): Promise<FakeConnection> {
  const registering = server.nextConnection();
  await gw.get(t, '/api/v1/instance/qr');
  const conn = await registering;
  conn.usync = new Map([[CONTACT, `${CONTACT}@s.whatsapp.net`]]);
  conn.pairDevice(['ref-one']);
  const qr = await waitFor(async () => {
    const r = await gw.get(t, '/api/v1/instance/qr');
    return r.status === 200 && typeof r.body.code === 'string' ? r.body.code : undefined;
  }, 5_000, 'the QR code');
  const login = server.nextConnection();
  await conn.pairSuccess(qr, OWN);
  const session = await login;
  session.usync = new Map([[CONTACT, `${CONTACT}@s.whatsapp.net`]]);
  session.loginSuccess();
  await waitFor(async () => ((await gw.get(t, '/api/v1/instance')).body.state === 'connected' ? true : undefined), 5_000, 'the number to connect');
  return session;
}

async function sendText(text: string): Promise<string> {
  const r = await gw.send(t, 'text', { phone: CONTACT, data: { text } });
  expect(r.status).toBe(200);
  return r.body.message_id ?? '';
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('statuses of our own messages, from the server', () => {
  it('a delivery receipt 50 ms after the send makes the message delivered, a read receipt read', async () => {
    const conn = await link();
    const id = await sendText('hello');
    const stanza = await conn.message();
    // Encrypted for the contact's phone as a new session (pkmsg).
    expect(JSON.stringify(stanza)).toContain('pkmsg');
    conn.ack(stanza);
    await later(50);
    conn.receipt(stanza);
    await waitForStatus(gw, t, id, ['delivered']);
    conn.receipt(stanza, 'read');
    await waitForStatus(gw, t, id, ['read']);
    expect(server.errors).toEqual([]);
  });

  it('a 463 ack 40 ms after the send fails the message reachout_timelock', async () => {
    const conn = await link();
    const id = await sendText('hello');
    const stanza = await conn.message();
    await later(40);
    conn.ack(stanza, 463);
    const failed = await waitForStatus(gw, t, id, ['failed']);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'reachout_timelock' } });
  });
});
