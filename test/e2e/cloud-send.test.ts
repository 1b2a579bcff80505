/**
 * A `cloud` instance through the real gateway against the fake Graph server:
 * the client's requests are the contract's, unchanged; each type goes out with
 * the body Meta documents (files uploaded from the accepted bytes), Meta's
 * statuses come back through the signed webhook (sent → delivered → read),
 * and every error row of the reference ends in the documented outcome.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGraphServer } from '../fakes/graph/server.js';
import { waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { isoBmff, opus, pdf, png } from '../media/media-samples.js';
import { startCloudGateway, VERIFY_TOKEN, type CloudSetup } from '../helpers/cloud.js';

let g: TestGateway;
let graph: FakeGraphServer;
let t: Tenant;

let setup: CloudSetup;
beforeAll(async () => {
  setup = await startCloudGateway();
  ({ g, graph, t } = setup);
});
afterAll(() => setup.stop());

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
/** What the fake received for the message with this wamid. */
const sentAs = (wamid: unknown) => graph.messages.find((m) => m.wamid === wamid);

describe('a cloud instance', () => {
  it('sends the five types with the bodies Meta documents, and Meta statuses carry each to read', async () => {
    const phone = '5544999990001';
    const text = await g.send(t, 'text', { phone, data: { text: 'Olá, tudo bem?' } });
    const image = await g.send(t, 'image', { phone, data: { text: 'a photo', base64: b64(png()) } });
    const video = await g.send(t, 'video', { phone, data: { text: 'a clip', base64: b64(isoBmff('mp42')) } });
    const audio = await g.send(t, 'audio', { phone, data: { text: 'listen to this', base64: b64(opus()) } });
    const doc = await g.send(t, 'document', { phone, data: { text: 'the report', filename: 'Q3 report.pdf', base64: b64(pdf()) } });
    const all = [text, image, video, audio, doc];
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const done = await Promise.all(all.map((r) => waitForStatus(g, t, r.body.message_id ?? '', ['read'])));
    const ids = done.map((d) => d['provider_message_id']);
    const [tx, im, vi, au, dc] = ids.map(sentAs);

    const to = `+${phone}`;
    expect(tx?.raw).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body: 'Olá, tudo bem?' } });
    const upload = (id: unknown) => graph.uploads.get(String(id));
    expect(im?.raw).toMatchObject({ to, type: 'image', image: { caption: 'a photo' } });
    expect(sha(upload(im?.body.media?.id)?.bytes ?? Buffer.alloc(0))).toBe(sha(png()));
    expect(vi?.raw).toMatchObject({ to, type: 'video', video: { caption: 'a clip' } });
    expect(upload(vi?.body.media?.id)?.mime).toBe('video/mp4');
    expect(dc?.raw).toMatchObject({ to, type: 'document', document: { caption: 'the report', filename: 'Q3 report.pdf' } });
    expect(sha(upload(dc?.body.media?.id)?.bytes ?? Buffer.alloc(0))).toBe(sha(pdf()));
    // Audio takes no caption: an OGG/Opus file goes as a voice note, its text right after as a text message.
    expect(au?.raw).toMatchObject({ to, type: 'audio', audio: { voice: true } });
    expect(JSON.stringify(au?.raw)).not.toContain('caption');
    const afterAudio = graph.messages[graph.messages.indexOf(au as (typeof graph.messages)[number]) + 1];
    expect(afterAudio?.raw).toMatchObject({ to, type: 'text', text: { body: 'listen to this' } });
    // One timeline per message, each step once, whatever order and how often the statuses came.
    const timeline = (await g.get(t, `/api/v1/message/${text.body.message_id ?? ''}`)).body.events?.map((e) => e.status);
    expect(timeline).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
  });

  it('keeps the wa_id WhatsApp answered for the recipient (a Brazilian number without its 9th digit)', async () => {
    graph.waIds.set('5544999990002', '554499990002');
    const r = await g.send(t, 'text', { phone: '5544999990002', data: { text: 'oi' } });
    const done = await waitForStatus(g, t, r.body.message_id ?? '', ['read']);
    const rows = await g.query<{ wa_id: string; part: number }>(`SELECT wa_id, part FROM cloud_sends WHERE wamid = ?`, [String(done['provider_message_id'])]);
    expect(rows).toEqual([{ wa_id: '554499990002', part: 0 }]);
  });

  it('shows the instance connected and never returns a secret', async () => {
    const state = await g.get(t, '/api/v1/instance');
    expect(state.body).toMatchObject({ engine: 'cloud', state: 'connected', reason: null });
    const rows = await g.query<Record<string, unknown>>(`SELECT * FROM cloud_accounts WHERE instance_id = ?`, [t.instanceId]);
    const stored = JSON.stringify(rows.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))));
    expect(stored).toContain(graph.phoneNumberId);
    for (const secret of [graph.accessToken, graph.appSecret, VERIFY_TOKEN]) expect(stored).not.toContain(secret);
  });
});
