/**
 * Meta's side of a `cloud` instance's webhook URL, through the real gateway:
 * the verification handshake; statuses arriving twice or out of order leave
 * the right state (forward-only, each step once); unsigned or tampered
 * bodies are refused with 401 and change nothing; messages people send are
 * stored once (however often Meta repeats them, non-ASCII text signed over
 * Meta's escaped bytes) and their files fetched from Meta on request.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGraphServer } from '../fakes/graph/server.js';
import { metaJson, metaSignature } from '../fakes/graph/webhooks.js';
import { GraphClient } from '../../src/engines/cloud/graph-client.js';
import { waitFor, waitForStatus, type ApiBody, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { VERIFY_TOKEN, startCloudGateway, type CloudSetup } from '../helpers/cloud.js';
import { jpeg } from '../media/media-samples.js';
import { receiver } from '../helpers/webhook-receiver.js';

let g: TestGateway;
let graph: FakeGraphServer;
let t: Tenant;
let hook: string;

let setup: CloudSetup;
beforeAll(async () => {
  setup = await startCloudGateway({ CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', CONNEXA_WEBHOOK_POLL_MS: '20' }, false);
  ({ g, graph, t } = setup);
  hook = setup.hook;
});
afterAll(() => setup.stop());

/** A notification as Meta sends it for the fake's number. */
function notification(value: Record<string, unknown>): string {
  return metaJson({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: graph.wabaId,
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: graph.phoneNumberId }, ...value } }],
      },
    ],
  });
}
const statusOf = (wamid: string, status: string, at: number, extra: Record<string, unknown> = {}) =>
  notification({ statuses: [{ id: wamid, status, timestamp: String(at), recipient_id: '5544999990000', ...extra }] });

function post(body: string, signature: string | undefined): Promise<Response> {
  return fetch(hook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-hub-signature-256': signature } : {}) },
    body,
  });
}
const signed = (body: string) => post(body, metaSignature(graph.appSecret, body));

/** A message sent through the instance while Meta's statuses are not subscribed: it stays `sent`. */
async function sentMessage(): Promise<{ id: string; wamid: string }> {
  const r = await g.send(t, 'text', { phone: '5544999990000', data: { text: 'status test' } });
  const done = await waitForStatus(g, t, r.body.message_id ?? '', ['sent']);
  return { id: r.body.message_id ?? '', wamid: String(done['provider_message_id']) };
}
const message = async (id: string): Promise<ApiBody> => (await g.get(t, `/api/v1/message/${id}`)).body;
const NOW = Math.floor(Date.now() / 1000);

describe('the verification handshake', () => {
  it('answers the challenge for the instance verify token, and nothing else', async () => {
    const url = (token: string, challenge = 'challenge-1234') =>
      `${hook}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${challenge}`;
    const ok = await fetch(url(VERIFY_TOKEN));
    expect([ok.status, await ok.text()]).toEqual([200, 'challenge-1234']);
    expect((await fetch(url('wrong-token-123'))).status).toBe(403);
    expect((await fetch(`${hook}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}`)).status).toBe(400);
    expect((await fetch(url(VERIFY_TOKEN).replace(t.instanceId, '00000000-0000-0000-0000-000000000000'))).status).toBe(404);
  });
});

describe('statuses', () => {
  it('out of order and repeated: forward-only, each step once on the timeline', async () => {
    const { id, wamid } = await sentMessage();
    expect((await signed(statusOf(wamid, 'read', NOW + 2))).status).toBe(200);
    expect((await signed(statusOf(wamid, 'delivered', NOW + 1))).status).toBe(200);
    expect((await signed(statusOf(wamid, 'read', NOW + 2))).status).toBe(200);
    expect((await signed(statusOf(wamid, 'failed', NOW + 3, { errors: [{ code: 131026, title: 'Message undeliverable' }] }))).status).toBe(200);
    const m = await message(id);
    expect(m.status).toBe('read');
    expect(m.events?.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'read']);
    expect(m.events?.at(-1)?.at).toBe(new Date((NOW + 2) * 1000).toISOString());
  });

  it("failed after a 200 fails the message with the code of Meta's error and its reason", async () => {
    const { id, wamid } = await sentMessage();
    const errors = [{ code: 131047, title: 'Re-engagement message', error_data: { details: 'Message failed to send because more than 24 hours have passed' } }];
    expect((await signed(statusOf(wamid, 'failed', NOW, { errors }))).status).toBe(200);
    expect(await message(id)).toMatchObject({ status: 'failed', error: { code: 'outside_customer_window' } });
    expect((await message(id)).error?.message).toContain('24 hours');
  });

  it('unsigned, wrongly signed or tampered: 401 and nothing changes', async () => {
    const { id, wamid } = await sentMessage();
    const body = statusOf(wamid, 'delivered', NOW);
    const tampered = statusOf(wamid, 'read', NOW);
    const refused = [
      await post(body, undefined),
      await post(body, metaSignature('not-the-app-secret', body)),
      await post(tampered, metaSignature(graph.appSecret, body)),
      await post(body, 'sha1=abcdef'),
      await post(body, `${metaSignature(graph.appSecret, body)}00`),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(((await (refused[0] as Response).json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect(await message(id)).toMatchObject({ status: 'sent' });
    // The same bytes, signed: applied.
    expect((await signed(body)).status).toBe(200);
    expect(await message(id)).toMatchObject({ status: 'delivered' });
  });
});

describe('an unknown instance', () => {
  it('is answered 404 whatever is posted to it', async () => {
    const res = await fetch(hook.replace(t.instanceId, '00000000-0000-0000-0000-000000000000'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(1024 * 1024, 0x20),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('instance_not_found');
  });
});

describe('messages people send', () => {
  it('are stored once however often Meta repeats them, non-ASCII included, with the sender and name, and reach the instance webhook once', async () => {
    const hooks = await receiver();
    const put = await fetch(`${g.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hooks.url, events: ['message.received'] }),
    });
    expect(put.status).toBe(200);
    await graph.subscribe(hook, VERIFY_TOKEN, { duplicateEvery: 1 });
    const wamid = graph.inbound('5544988887777', { type: 'text', body: 'Olá! Tudo certo? 🚀' }, 'João');
    const list = await waitFor(async () => {
      const r = await g.get(t, '/api/v1/messages/inbound');
      return r.body.messages?.some((m) => m.provider_message_id === wamid) === true ? r.body.messages : undefined;
    });
    await new Promise((r) => setTimeout(r, 200)); // the duplicate lands too
    const rows = (await g.get(t, '/api/v1/messages/inbound')).body.messages?.filter((m) => m.provider_message_id === wamid);
    expect(rows).toHaveLength(1);
    expect(list.find((m) => m.provider_message_id === wamid)).toMatchObject({
      phone: '5544988887777',
      name: 'João',
      type: 'text',
      text: 'Olá! Tudo certo? 🚀',
    });
  });

  it('a received image is fetched from Meta with the token when asked for', async () => {
    const bytes = Buffer.from(jpeg());
    // The person's file, as Meta holds it: an uploaded media id.
    const client = new GraphClient({ graphUrl: graph.url, version: 'v25.0', phoneNumberId: graph.phoneNumberId, accessToken: graph.accessToken });
    const mediaId = await client.upload(bytes, 'image/jpeg', 'photo.jpg');
    const wamid = graph.inbound('5544988887777', { type: 'image', mediaId, mimeType: 'image/jpeg', caption: 'look' });
    const row = await waitFor(async () => (await g.get(t, '/api/v1/messages/inbound')).body.messages?.find((m) => m.provider_message_id === wamid));
    expect(row).toMatchObject({ type: 'image', text: 'look', media: { mime: 'image/jpeg' } });
    const res = await fetch(`${g.url}${row.media?.download_url ?? ''}`, { headers: { authorization: t.auth } });
    expect(res.status).toBe(200);
    expect(
      createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex'),
    ).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
