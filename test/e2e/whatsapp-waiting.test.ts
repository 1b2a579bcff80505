/**
 * Nothing lost while a number is away, through the real server: messages of a
 * `baileys` instance whose number is not connected (never linked, reconnecting,
 * logged out) wait `queued` with no attempt spent, and go out in order when it
 * connects; past CONNEXA_QUEUE_TTL_S they fail `expired`. Only the WhatsApp
 * socket is a stand-in (typed as Baileys' own WASocket, on its event buffer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { whatsappMessageId } from '../../src/engines/baileys/content.js';
import { FakeSocket } from '../helpers/fake-socket.js';
import { startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway | undefined;
let sockets: FakeSocket[] = [];
const socket = () => sockets[sockets.length - 1] as FakeSocket;
const PACING_OFF = { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } };

async function gateway(env: Record<string, string> = {}): Promise<{ gw: TestGateway; t: Tenant }> {
  sockets = [];
  const gw = await startTestGateway({ CONNEXA_WHATSAPP_START_STAGGER_MS: '0', ...env }, (auth) => {
    const s = new FakeSocket(auth);
    s.registered.add('5544999999999');
    sockets.push(s);
    return s;
  });
  g = gw;
  return { gw, t: await gw.tenant('baileys', PACING_OFF) };
}

async function link(gw: TestGateway, t: Tenant): Promise<void> {
  const before = sockets.length;
  await gw.get(t, '/api/v1/instance/qr');
  // A new socket: the session reads its stored keys first.
  await waitFor(async () => (sockets.length > before ? true : undefined), 5000, 'the session to start');
  socket().auth.creds.me = { id: '5544000000000:3@s.whatsapp.net' };
  socket().open('5544000000000');
}

const text = (s: string) => ({ phone: '554499999999', data: { text: s } });

afterEach(async () => {
  await g?.stop();
  g = undefined;
});

describe('a number that is not connected', () => {
  it('never linked: messages wait queued with no attempt, then go out in order once the number links', async () => {
    const { gw, t } = await gateway();
    const first = await gw.send(t, 'text', text('first'));
    const second = await gw.send(t, 'text', text('second'));
    expect([first.status, second.status]).toEqual([200, 200]);
    // Dozens of dispatcher polls (20 ms) go by.
    await new Promise((r) => setTimeout(r, 1000));
    const waiting = await gw.get(t, `/api/v1/message/${first.body.message_id ?? ''}`);
    expect(waiting.body).toMatchObject({ status: 'queued', attempts: 0, error: null });
    expect((await gw.get(t, '/api/v1/instance')).body).toMatchObject({ state: 'disconnected', waiting: 2 });

    await link(gw, t);
    await waitForStatus(gw, t, second.body.message_id ?? '', ['sent']);
    expect(socket().sent.map((s) => s.messageId)).toEqual([
      whatsappMessageId(first.body.message_id ?? '', 0),
      whatsappMessageId(second.body.message_id ?? '', 0),
    ]);
    expect((await gw.get(t, `/api/v1/message/${first.body.message_id ?? ''}`)).body).toMatchObject({ status: 'sent', attempts: 1 });
    expect((await gw.get(t, '/api/v1/instance')).body).toMatchObject({ state: 'connected', waiting: 0 });
  });

  it('reconnecting or logged out: later messages wait instead of failing, and go when the number is back', async () => {
    const { gw, t } = await gateway();
    await link(gw, t);
    const before = socket();
    before.close(428); // connection lost: the session reconnects with backoff
    const during = await gw.send(t, 'text', text('while away'));
    await new Promise((r) => setTimeout(r, 500));
    expect((await gw.get(t, `/api/v1/message/${during.body.message_id ?? ''}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    await waitFor(async () => (socket() !== before ? true : undefined), 10_000, 'the session to reconnect');
    socket().open('5544000000000');
    await waitForStatus(gw, t, during.body.message_id ?? '', ['sent']);

    expect((await gw.post(t, '/api/v1/instance/logout')).body).toMatchObject({ state: 'logged_out' });
    const after = await gw.send(t, 'text', text('after logout'));
    await new Promise((r) => setTimeout(r, 500));
    expect((await gw.get(t, `/api/v1/message/${after.body.message_id ?? ''}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    await link(gw, t);
    await waitForStatus(gw, t, after.body.message_id ?? '', ['sent']);
  });

  it('a message still waiting after CONNEXA_QUEUE_TTL_S fails expired', async () => {
    const { gw, t } = await gateway({ CONNEXA_QUEUE_TTL_S: '1' });
    const r = await gw.send(t, 'text', text('too late'));
    const failed = await waitForStatus(gw, t, r.body.message_id ?? '', ['failed'], 10_000);
    expect(failed).toMatchObject({ attempts: 0, error: { code: 'expired' } });
    expect(failed.error?.message).toMatch(/CONNEXA_QUEUE_TTL_S/);
    expect((await gw.get(t, '/api/v1/instance')).body).toMatchObject({ waiting: 0 });
  });
});
