/**
 * The whole gateway with the real Baileys socket, over the wire to the local
 * fake WhatsApp server (test/fakes/whatsapp-server.ts): linked by QR through
 * the API, messages sent through the API are encrypted by Baileys for the
 * contact's phone, and the server's acks and receipts come back through
 * Baileys' own handlers to the message's status.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { FakeMediaHost } from '../fakes/whatsapp-media.js';
import { FakeWhatsAppServer, type FakeConnection } from '../fakes/whatsapp-server.js';
import { startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { receiver, type Receiver } from '../helpers/webhook-receiver.js';
import { linkByQr } from '../helpers/whatsapp-link.js';

const OWN = '5544000000000';
const CONTACT = '5544999999999';
const NEWCOMER = '5544988888888';
const PACING_OFF = { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } };

const ON_WHATSAPP = new Map([CONTACT, NEWCOMER].map((p) => [p, `${p}@s.whatsapp.net`]));

let server: FakeWhatsAppServer;
let gw: TestGateway;
let t: Tenant;

beforeEach(async () => {
  server = await FakeWhatsAppServer.start();
  server.addContact(CONTACT);
  server.addContact(NEWCOMER);
  gw = await startTestGateway({
    CONNEXA_WHATSAPP_WS_URL: server.url,
    CONNEXA_WHATSAPP_START_STAGGER_MS: '0',
    CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    CONNEXA_WEBHOOK_POLL_MS: '20',
  });
  t = await gw.tenant('baileys', PACING_OFF);
});

afterEach(async () => {
  await gw.stop();
  await server.close();
});

/** Links the tenant's instance by QR as a person would (the API shows the code, the phone scans it), then logs in. */
function link(businessName?: string): Promise<FakeConnection> {
  return linkByQr(server, (p) => gw.get(t, p), OWN, { usync: ON_WHATSAPP, ...(businessName !== undefined ? { businessName } : {}) });
}

async function sendText(text: string, phone = CONTACT): Promise<string> {
  const r = await gw.send(t, 'text', { phone, data: { text } });
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

describe('messages from people, over the wire', () => {
  it("a contact's reply is decrypted and stored; their reaction to our message is a message.reaction about it", async () => {
    const hooks = await receiver();
    const put = await fetch(`${gw.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hooks.url, events: ['message.received', 'message.reaction'] }),
    });
    expect(put.status).toBe(200);
    const conn = await link();
    const contact = server.contacts.get(CONTACT);
    if (contact === undefined) throw new Error('no contact');
    const ours = await sendText('hello');
    const stanza = await conn.message();
    conn.ack(stanza);
    // The contact's phone decrypts what Baileys encrypted for it.
    const me = `${OWN}:7@s.whatsapp.net`;
    const got = await contact.read(stanza, me);
    expect(got.extendedTextMessage?.text ?? got.conversation).toBe('hello');

    await conn.deliver(contact, { conversation: 'oi de volta' }, me, 'IN-WIRE-1');
    // From the contact's LID alone: the phone comes from the mapping Baileys learnt when it looked the contact up.
    await conn.deliver(contact, { conversation: 'agora por LID' }, me, 'IN-WIRE-LID', contact.lidJid);
    await conn.deliver(
      contact,
      { reactionMessage: { key: { id: stanza.attrs.id ?? '', remoteJid: `${OWN}@s.whatsapp.net`, fromMe: false }, text: '👍' } },
      me,
      'IN-WIRE-2',
    );
    const events = await waitFor(
      async () => (hooks.got.length >= 3 ? hooks.got.map((h) => JSON.parse(h.body) as { type: string; data: Record<string, unknown> }) : undefined),
      5_000,
      'three events',
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: 'message.received',
        data: expect.objectContaining({ provider_message_id: 'IN-WIRE-1', text: 'oi de volta', phone: CONTACT }),
      }),
      expect.objectContaining({
        type: 'message.received',
        data: expect.objectContaining({ provider_message_id: 'IN-WIRE-LID', from: contact.lidJid, phone: CONTACT }),
      }),
      expect.objectContaining({
        type: 'message.reaction',
        data: expect.objectContaining({ provider_message_id: stanza.attrs.id, message_id: ours, emoji: '👍', phone: CONTACT }),
      }),
    ]);
    const list = (await gw.get(t, '/api/v1/messages/inbound')).body.messages ?? [];
    expect(list.map((m) => m.provider_message_id)).toEqual(['IN-WIRE-LID', 'IN-WIRE-1']);
    await hooks.close();
  });
});

describe('a received file', () => {
  it("is streamed from WhatsApp's media servers; once expired, the phone uploads it again and the new place is kept", async () => {
    const media = new FakeMediaHost();
    try {
      const conn = await link();
      const contact = server.contacts.get(CONTACT);
      if (contact === undefined) throw new Error('no contact');
      await sendText('send me the photo');
      const me = `${OWN}:7@s.whatsapp.net`;
      await contact.read(await conn.message(), me);

      const photo = randomBytes(300_000);
      const file = await media.encrypt(photo, 'image');
      // Expired at its first place; the phone puts it at a new one when asked.
      conn.reuploads.set('IN-PHOTO', { mediaKey: file.mediaKey, directPath: '/v/t62/new-place?ccb=1', from: contact.pnJid });
      media.files.set('/v/t62/new-place?ccb=1', file.encrypted);
      await conn.deliver(
        contact,
        {
          imageMessage: {
            url: 'https://mmg.whatsapp.net/v/t62/first-place?ccb=1',
            directPath: '/v/t62/first-place?ccb=1',
            mimetype: 'image/jpeg',
            mediaKey: file.mediaKey,
            fileEncSha256: file.fileEncSha256,
            fileSha256: file.fileSha256,
            fileLength: file.fileLength,
            caption: 'a foto',
          },
        },
        me,
        'IN-PHOTO',
      );
      const entry = await waitFor(
        async () => (await gw.get(t, '/api/v1/messages/inbound')).body.messages?.find((m) => m.provider_message_id === 'IN-PHOTO'),
        5_000,
        'the photo message',
      );
      const url = `${gw.url}${entry.media?.download_url ?? ''}`;
      const retries = () => conn.received.filter((n) => n.tag === 'receipt' && n.attrs.type === 'server-error').length;

      const first = await fetch(url, { headers: { authorization: t.auth } });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await first.arrayBuffer()).equals(photo)).toBe(true);
      expect(retries()).toBe(1);
      expect(media.hits).toEqual(['/v/t62/first-place?ccb=1', '/v/t62/new-place?ccb=1']);

      // The second download goes straight to the new place: the phone is not asked again.
      const second = await fetch(url, { headers: { authorization: t.auth } });
      expect(Buffer.from(await second.arrayBuffer()).equals(photo)).toBe(true);
      expect(retries()).toBe(1);
      expect(media.hits.at(-1)).toBe('/v/t62/new-place?ccb=1');
      expect(media.hits).toHaveLength(3);
    } finally {
      await media.close();
    }
  });
});

describe('typing', () => {
  it('shows "typing…" the way WhatsApp displays it: online, composing, paused, the message, offline again', async () => {
    await gw.stop();
    gw = await startTestGateway({ CONNEXA_WHATSAPP_WS_URL: server.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0' });
    t = await gw.tenant('baileys', { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: true } });
    // Presence (online/offline) carries the account's name: Baileys sends none before it knows it.
    const conn = await link('Loja Exemplo');
    const before = conn.received.length;
    await sendText('hi');
    await conn.message();
    await waitFor(
      async () => (conn.received.slice(before).some((n) => n.tag === 'presence' && n.attrs.type === 'unavailable') ? true : undefined),
      5_000,
      'offline again',
    );
    const seen = conn.received.slice(before).flatMap((n) => {
      if (n.tag === 'presence') return [`presence:${n.attrs.type ?? ''}`];
      if (n.tag === 'chatstate') return [`${Array.isArray(n.content) ? (n.content[0]?.tag ?? '') : ''}:${n.attrs.to ?? ''}`];
      if (n.tag === 'message') return ['message'];
      return [];
    });
    expect(seen).toEqual(['presence:available', `composing:${CONTACT}@s.whatsapp.net`, `paused:${CONTACT}@s.whatsapp.net`, 'message', 'presence:unavailable']);
  });
});

describe('a recipient that keeps asking for a message again', () => {
  it('gets it again only a few times, and a reconnect does not start the count over', async () => {
    const conn = await link();
    await sendText('hello');
    const stanza = await conn.message();
    conn.ack(stanza);
    const contact = server.contacts.get(CONTACT);
    if (contact === undefined) throw new Error('no contact');
    /** Asks again and returns how many times the message went out in all, once Baileys has handled the ask. */
    const askAgain = async (on: FakeConnection, count: number): Promise<number> => {
      const acked = on.received.filter((n) => n.tag === 'ack' && n.attrs.class === 'receipt').length;
      on.retryReceipt(stanza, contact, count);
      await waitFor(
        async () => (on.received.filter((n) => n.tag === 'ack' && n.attrs.class === 'receipt').length > acked ? true : undefined),
        5_000,
        'the retry receipt to be handled',
      );
      return [...conn.received, ...(on === conn ? [] : on.received)].filter((n) => n.tag === 'message' && n.attrs.id === stanza.attrs.id).length;
    };
    // Baileys resends while its retry counter for the message allows, then stops.
    let sent = 1;
    let asks = 0;
    for (;;) {
      asks++;
      const now = await askAgain(conn, asks);
      if (now === sent) break;
      sent = now;
      if (asks > 8) throw new Error('the message is resent without end');
    }
    expect(sent).toBeGreaterThan(1);

    // The connection drops and the session logs in again: the sixth ask is still refused.
    const again = server.nextConnection();
    conn.close();
    const next = await again;
    next.usync = ON_WHATSAPP;
    next.loginSuccess();
    await waitFor(async () => ((await gw.get(t, '/api/v1/instance')).body.state === 'connected' ? true : undefined), 10_000, 'the number to reconnect');
    expect(await askAgain(next, asks + 1)).toBe(sent);
  });
});

describe('WhatsApp restricts the number from new chats', () => {
  let hooks: Receiver;
  beforeEach(async () => {
    hooks = await receiver();
    const res = await fetch(`${gw.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hooks.url, events: ['instance.restricted', 'instance.unrestricted'] }),
    });
    expect(res.status).toBe(200);
  });
  afterEach(async () => {
    await hooks.close();
  });

  /** A message to CONTACT delivered: the number has a chat with them. */
  async function chatWithContact(conn: FakeConnection, index: number): Promise<void> {
    const id = await sendText('hello', CONTACT);
    const stanza = await conn.message(index);
    conn.ack(stanza);
    conn.receipt(stanza);
    await waitForStatus(gw, t, id, ['delivered']);
  }

  it('after a 463, new chats wait queued with no attempt while existing chats go on; the state and webhooks say so', async () => {
    const conn = await link();
    await chatWithContact(conn, 0);

    const first = await sendText('hi there', NEWCOMER);
    const refused = await conn.message(1);
    conn.ack(refused, 463);
    expect(await waitForStatus(gw, t, first, ['failed'])).toMatchObject({ error: { code: 'reachout_timelock' } });
    const state = await waitFor(
      async () => {
        const body = (await gw.get(t, '/api/v1/instance')).body;
        return typeof body.restricted_until === 'string' ? body : undefined;
      },
      5_000,
      'the restriction to show',
    );
    // No time from WhatsApp: a backoff (15 minutes for the first 463).
    const until = Date.parse(state.restricted_until as string);
    expect(until - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const hook = await waitFor(async () => hooks.got.find((h) => h.type === 'instance.restricted'), 5_000, 'instance.restricted');
    expect(JSON.parse(hook.body)).toMatchObject({ data: { until: state.restricted_until } });

    // Another new chat waits: queued, no attempt spent, nothing sent.
    const second = await sendText('still there?', NEWCOMER);
    const existing = await sendText('and you?', CONTACT);
    const next = await conn.message(2);
    expect(next.attrs.to).toBe(`${CONTACT}@s.whatsapp.net`);
    conn.ack(next);
    await waitForStatus(gw, t, existing, ['sent']);
    expect((await gw.get(t, `/api/v1/message/${second}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    expect(conn.received.filter((n) => n.tag === 'message')).toHaveLength(3);
  });

  it("WhatsApp's own restriction notice sets the end, and its lifting ends it", async () => {
    const conn = await link();
    const ends = Math.floor(Date.now() / 1000) + 3_600;
    conn.reachoutTimelock(true, ends);
    await waitFor(
      async () => ((await gw.get(t, '/api/v1/instance')).body.restricted_until === new Date(ends * 1000).toISOString() ? true : undefined),
      5_000,
      'the restriction to show',
    );
    const waiting = await sendText('hello', NEWCOMER);
    await waitFor(
      async () => {
        const events = (await gw.get(t, `/api/v1/message/${waiting}`)).body.events ?? [];
        return events.some((e) => e.code === 'instance_restricted') ? true : undefined;
      },
      5_000,
      'the message to wait',
    );
    expect((await gw.get(t, `/api/v1/message/${waiting}`)).body).toMatchObject({ status: 'queued', attempts: 0 });

    conn.reachoutTimelock(false);
    await waitFor(async () => ((await gw.get(t, '/api/v1/instance')).body.restricted_until === null ? true : undefined), 5_000, 'the restriction to end');
    await waitFor(async () => hooks.got.find((h) => h.type === 'instance.unrestricted'), 5_000, 'instance.unrestricted');
  });
});
