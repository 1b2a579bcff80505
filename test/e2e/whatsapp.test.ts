/**
 * A `baileys` instance end to end through the real server: link by QR (PNG and
 * JSON) or pairing code, send the contract's messages, receive receipts and
 * messages, log out. Only the WhatsApp socket is a stand-in (typed as Baileys'
 * own WASocket, on Baileys' event buffer).
 */
import { proto } from 'baileys';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappMessageId } from '../../src/engines/baileys/content.js';
import { FakeSocket } from '../helpers/fake-socket.js';
import { ADMIN_TOKEN, startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { receiver } from '../helpers/webhook-receiver.js';

let g: TestGateway;
let t: Tenant;
const sockets: FakeSocket[] = [];
const socket = () => sockets[sockets.length - 1] as FakeSocket;

beforeAll(async () => {
  g = await startTestGateway(
    { CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', CONNEXA_WEBHOOK_POLL_MS: '20' },
    (auth) => {
      const s = new FakeSocket(auth);
      s.registered.add('5544999999999');
      sockets.push(s);
      return s;
    },
    async (_instanceId, encoded) => {
      // WhatsApp's media servers are out of reach: hand back bytes tied to the stored message.
      const m = proto.WebMessageInfo.decode(encoded);
      return Readable.from([Buffer.from(`file of ${m.key?.id ?? '?'}`)]);
    },
  );
  // Pacing off so the test runs in milliseconds; pacing itself is tested in test/engines.
  t = await g.tenant('baileys', { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } });
});
afterAll(async () => g?.stop());

describe('a WhatsApp number through the API', () => {
  it('links by QR: 409 while preparing, then the code as JSON and as a PNG, then connected', async () => {
    expect((await g.get(t, '/api/v1/instance')).body).toMatchObject({ engine: 'baileys', state: 'disconnected' });
    const early = await g.get(t, '/api/v1/instance/qr');
    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe('qr_not_ready');
    // The session reads its stored keys before its first socket exists.
    await waitFor(async () => (sockets.length > 0 ? true : undefined), 5_000, 'the first socket');
    socket().ev.emit('connection.update', { qr: '2@qr-code-data,xyz' });
    const qr = await g.get(t, '/api/v1/instance/qr');
    expect(qr.body).toMatchObject({ code: '2@qr-code-data,xyz', expires_at: expect.any(String) });
    const png = await fetch(`${g.url}/api/v1/instance/qr`, { headers: { authorization: t.auth } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(0, 8)
        .toString('hex'),
    ).toBe('89504e470d0a1a0a');
    expect((await g.post(t, '/api/v1/instance/pairing-code', { phone: '+55 44 99999-9999' })).body).toEqual({ code: 'ABCD1234' });

    socket().auth.creds.me = { id: '5544000000000:3@s.whatsapp.net' };
    socket().close(515);
    socket().open('5544000000000');
    expect((await g.get(t, '/api/v1/instance')).body).toMatchObject({ state: 'connected', phone: '5544000000000' });
    expect((await g.get(t, '/api/v1/instance/qr')).body.error?.code).toBe('already_connected');
  });

  it("sends the contract's text to the id WhatsApp knows, then receipts move it to read", async () => {
    const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'Hello from Connexa!' } });
    expect(r.status).toBe(200);
    const id = r.body.message_id ?? '';
    await waitForStatus(g, t, id, ['sent']);
    expect(socket().sent).toEqual([{ jid: '5544999999999@s.whatsapp.net', content: { text: 'Hello from Connexa!' }, messageId: whatsappMessageId(id, 0) }]);
    const key = { id: whatsappMessageId(id, 0), fromMe: true, remoteJid: '123456@lid' };
    socket().ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }]);
    await waitForStatus(g, t, id, ['delivered']);
    socket().ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.READ } }]);
    const s = await waitForStatus(g, t, id, ['read']);
    expect(s.events?.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
    expect(s.provider_message_id).toBe(whatsappMessageId(id, 0));
  });

  it('a number not on WhatsApp fails without a send; contacts tells the same', async () => {
    const r = await g.send(t, 'text', { phone: '15550100404', data: { text: 'hi' } });
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(s.error?.code).toBe('recipient_not_on_whatsapp');
    expect((await g.get(t, '/api/v1/contacts/15550100404')).body).toEqual({ phone: '15550100404', on_whatsapp: false, jid: null });
    expect((await g.get(t, '/api/v1/contacts/554499999999')).body).toEqual({ phone: '554499999999', on_whatsapp: true, jid: '5544999999999@s.whatsapp.net' });
  });

  it('stores incoming messages and lists them newest first', async () => {
    socket().ev.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: { id: 'IN-1', fromMe: false, remoteJid: '5544988887777@s.whatsapp.net' },
          message: { conversation: 'oi' },
          messageTimestamp: 1_700_000_000,
          pushName: 'Ana',
        },
        {
          key: { id: 'IN-2', fromMe: false, remoteJid: '5544988887777@s.whatsapp.net' },
          message: { imageMessage: { mimetype: 'image/jpeg', fileLength: 1234, caption: 'foto' } },
          messageTimestamp: 1_700_000_001,
        },
      ],
    });
    // What arrived while the gateway was offline comes as 'append'; a repeat of IN-1 is ignored.
    socket().ev.emit('messages.upsert', {
      type: 'append',
      messages: [
        { key: { id: 'IN-1', fromMe: false, remoteJid: '5544988887777@s.whatsapp.net' }, message: { conversation: 'oi' }, messageTimestamp: 1_700_000_000 },
        {
          key: { id: 'IN-3', fromMe: false, remoteJid: '5544988887777@s.whatsapp.net' },
          message: { conversation: 'tudo bem?' },
          messageTimestamp: 1_700_000_002,
        },
      ],
    });
    const list = await waitFor(
      async () => {
        const r = await g.get(t, '/api/v1/messages/inbound');
        return (r.body.messages?.length ?? 0) === 3 ? r.body.messages : undefined;
      },
      5000,
      'inbound messages',
    );
    expect(list).toMatchObject([
      { provider_message_id: 'IN-3', type: 'text', text: 'tudo bem?' },
      { provider_message_id: 'IN-2', type: 'image', text: 'foto', media: { mime: 'image/jpeg', size: 1234 } },
      { provider_message_id: 'IN-1', type: 'text', text: 'oi', phone: '5544988887777', name: 'Ana' },
    ]);
    const image = (list ?? []).find((m) => m.provider_message_id === 'IN-2') as { media: { download_url: string } } | undefined;
    expect(image?.media.download_url).toMatch(/^\/api\/v1\/messages\/inbound\/\d+\/media$/);
    const file = await fetch(`${g.url}${image?.media.download_url ?? ''}`, { headers: { authorization: t.auth } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    expect(await file.text()).toBe('file of IN-2');
    const other = await g.tenant('baileys');
    expect((await fetch(`${g.url}${image?.media.download_url ?? ''}`, { headers: { authorization: other.auth } })).status).toBe(404);
  });

  it('reactions, edits and deletions are events of their own about the original message; group and LID senders are named', async () => {
    const hooks = await receiver();
    const put = await fetch(`${g.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hooks.url, events: ['message.received', 'message.reaction', 'message.edited', 'message.deleted'] }),
    });
    expect(put.status).toBe(200);
    const ana = '5544988887777@s.whatsapp.net';
    const group = '120363000000000001@g.us';
    socket().lids.set('777000111@lid', '5544966665555:0@s.whatsapp.net');
    const Type = proto.Message.ProtocolMessage.Type;
    socket().ev.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: { id: 'R-1', fromMe: false, remoteJid: ana },
          message: { reactionMessage: { key: { id: 'IN-1', remoteJid: ana, fromMe: false }, text: '👍' } },
          messageTimestamp: 1_700_000_010,
        },
        {
          key: { id: 'E-1', fromMe: false, remoteJid: ana },
          message: { protocolMessage: { type: Type.MESSAGE_EDIT, key: { id: 'IN-3', remoteJid: ana }, editedMessage: { conversation: 'tudo bem? :)' } } },
          messageTimestamp: 1_700_000_011,
        },
        {
          key: { id: 'D-1', fromMe: false, remoteJid: ana },
          message: { protocolMessage: { type: Type.REVOKE, key: { id: 'IN-2', remoteJid: ana } } },
          messageTimestamp: 1_700_000_012,
        },
        // Not events: an ephemeral setting, an encrypted poll vote.
        {
          key: { id: 'P-1', fromMe: false, remoteJid: ana },
          message: { protocolMessage: { type: Type.EPHEMERAL_SETTING, ephemeralExpiration: 86400 } },
          messageTimestamp: 1_700_000_013,
        },
        {
          key: { id: 'V-1', fromMe: false, remoteJid: ana },
          message: { pollUpdateMessage: { pollCreationMessageKey: { id: 'POLL' } } },
          messageTimestamp: 1_700_000_014,
        },
        // A group message from a member; a message from someone WhatsApp names only by LID.
        {
          key: { id: 'G-1', fromMe: false, remoteJid: group, participant: '5544977776666@s.whatsapp.net' },
          message: { conversation: 'bom dia, grupo' },
          messageTimestamp: 1_700_000_015,
        },
        { key: { id: 'L-1', fromMe: false, remoteJid: '777000111@lid' }, message: { conversation: 'por LID' }, messageTimestamp: 1_700_000_016 },
      ],
    });
    // A repeat of the reaction from WhatsApp is not reported again.
    socket().ev.emit('messages.upsert', {
      type: 'append',
      messages: [
        {
          key: { id: 'R-1', fromMe: false, remoteJid: ana },
          message: { reactionMessage: { key: { id: 'IN-1', remoteJid: ana, fromMe: false }, text: '👍' } },
          messageTimestamp: 1_700_000_010,
        },
      ],
    });
    const got = await waitFor(async () => (hooks.got.length >= 5 ? hooks.got : undefined), 5000, 'five webhook events');
    await new Promise((r) => setTimeout(r, 200));
    const bodies = hooks.got.map((h) => JSON.parse(h.body) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((b) => b.type).sort()).toEqual(['message.deleted', 'message.edited', 'message.reaction', 'message.received', 'message.received']);
    const by = (type: string) => bodies.filter((b) => b.type === type).map((b) => b.data);
    expect(by('message.reaction')).toEqual([
      expect.objectContaining({ provider_message_id: 'IN-1', emoji: '👍', from: ana, phone: '5544988887777', message_id: null }),
    ]);
    expect(by('message.edited')).toEqual([expect.objectContaining({ provider_message_id: 'IN-3', text: 'tudo bem? :)' })]);
    expect(by('message.deleted')).toEqual([expect.objectContaining({ provider_message_id: 'IN-2' })]);
    expect(by('message.received')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          provider_message_id: 'G-1',
          from: group,
          group,
          participant: '5544977776666@s.whatsapp.net',
          phone: '5544977776666',
          text: 'bom dia, grupo',
        }),
        expect.objectContaining({ provider_message_id: 'L-1', from: '777000111@lid', phone: '5544966665555', group: null }),
      ]),
    );
    expect(got.length).toBe(5);
    // The stored message shows its edited text.
    const list = (await g.get(t, '/api/v1/messages/inbound')).body.messages ?? [];
    expect(list.find((m) => m.provider_message_id === 'IN-3')).toMatchObject({ text: 'tudo bem? :)' });
    expect(list.find((m) => m.provider_message_id === 'G-1')).toMatchObject({ group, participant: '5544977776666@s.whatsapp.net' });
    expect(list.map((m) => m.provider_message_id)).not.toContain('R-1');
    await hooks.close();
  });

  it('logout unlinks and later messages wait for a number; the sandbox needs no linking', async () => {
    const out = await g.post(t, '/api/v1/instance/logout');
    expect(out.body).toMatchObject({ state: 'logged_out' });
    const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'after logout' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await g.get(t, `/api/v1/message/${r.body.message_id ?? ''}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    const sandbox = await g.tenant();
    expect((await g.get(sandbox, '/api/v1/instance')).body).toMatchObject({ engine: 'sandbox', state: 'connected' });
    expect((await g.get(sandbox, '/api/v1/instance/qr')).body.error?.code).toBe('linking_not_supported');
  });

  it('deleting an instance logs its number out, wipes its keys and revokes its token at once', async () => {
    const other = await g.tenant('baileys');
    const auth = { authorization: 'Bearer test-admin-token-0123456789abcdef' };
    expect((await g.get(other, '/api/v1/instance')).status).toBe(200);
    const del = await fetch(`${g.url}/api/v1/admin/instances/${other.instanceId}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(204);
    expect((await g.get(other, '/api/v1/instance')).status).toBe(401);
    const again = await fetch(`${g.url}/api/v1/admin/instances/${other.instanceId}`, { method: 'DELETE', headers: auth });
    expect(again.status).toBe(404);
  });

  it('connexa instance qr draws the code in the terminal and follows it to connected', async () => {
    const linkLater = await g.tenant('baileys');
    const before = sockets.length;
    const child = spawn(process.execPath, [path.resolve('dist/cli/main.js'), 'instance', 'qr', linkLater.instanceId, '--url', g.url], {
      env: { PATH: process.env['PATH'] ?? '', CONNEXA_ADMIN_TOKEN: ADMIN_TOKEN, CONNEXA_DATABASE_URL: `sqlite:${path.join(g.dir, 'unused.db')}` },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(async () => (sockets.length > before ? true : undefined), 5000, 'the CLI to start a session');
    socket().ev.emit('connection.update', { qr: '2@cli-qr,abc' });
    await waitFor(async () => (output.includes('Linked devices') ? true : undefined), 5000, 'the QR to be drawn').catch((e: unknown) => {
      throw new Error(`${String(e)}; CLI said: ${output}`);
    });
    expect(output).toMatch(/[\u2580\u2584\u2588]/); // block characters of the terminal QR
    socket().open('5544111111111');
    expect(await exited).toBe(0);
    expect(output).toContain('+5544111111111');
  });
});
