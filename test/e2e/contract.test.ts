/**
 * Every example of the contract document, sent as written with its
 * placeholders filled in (host, credentials, real media bytes), returns 200
 * and a UUID, and the message reaches `read` in the sandbox inbox carrying the
 * same text or bytes.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoBmff, jpeg, opus, pdf, png } from '../media/media-samples.js';
import { startFixture, type Fixture } from '../media/http-fixture.js';
import { startTestGateway, waitFor, waitForStatus, type InboxEntry, type Tenant, type TestGateway } from '../helpers/gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let g: TestGateway;
let t: Tenant;
let files: Fixture;

async function inboxFor(messageId: string, part = 0): Promise<InboxEntry> {
  return waitFor(
    async () => {
      const r = await g.get(t, '/api/v1/sandbox/messages?limit=1000');
      const e = r.body.messages?.find((m) => m.message_id === messageId && m.part === part);
      return e?.read_at !== null ? e : undefined;
    },
    10_000,
    `inbox entry for ${messageId}`,
  );
}

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' });
  t = await g.tenant();
  files = await startFixture((req, res) => {
    if (req.url === '/files/photo.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from(png()));
    } else if (req.url === '/files/Q3%20report.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end(Buffer.from(pdf()));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});

afterAll(async () => {
  await g?.stop();
  await files?.close();
});

describe('the contract examples', () => {
  it('text: the curl example sends "Hello from Connexa!" to 554499999999', async () => {
    // The raw body exactly as in the contract's curl example, whitespace included.
    const raw = `{
"phone": "554499999999",
"data": {
"text": "Hello from Connexa!"
}
}`;
    const r = await g.send(t, 'text', raw);
    expect(r.status).toBe(200);
    expect(r.body.message_id).toMatch(UUID);
    const entry = await inboxFor(r.body.message_id ?? '');
    expect(entry).toMatchObject({ phone: '554499999999', type: 'text', text: 'Hello from Connexa!' });
    const status = await waitForStatus(g, t, r.body.message_id ?? '', ['read']);
    expect(status.events?.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
  });

  it('authentication example: "Hello!" as in the Go program', async () => {
    const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'Hello!' } });
    expect(r.status).toBe(200);
    expect((await inboxFor(r.body.message_id ?? '')).text).toBe('Hello!');
  });

  it('image: base64 placeholder filled with a real PNG arrives byte for byte, with its caption', async () => {
    const bytes = png();
    const r = await g.send(t, 'image', { phone: '554499999999', data: { text: 'Hello from Connexa!', base64: Buffer.from(bytes).toString('base64') } });
    expect(r.status).toBe(200);
    const e = await inboxFor(r.body.message_id ?? '');
    expect(e).toMatchObject({ type: 'image', text: 'Hello from Connexa!', media: { mime: 'image/png', size: bytes.length, sha256: sha256(bytes) } });
  });

  it('image: a data: URI is accepted too', async () => {
    const bytes = jpeg();
    const r = await g.send(t, 'image', { phone: '554499999999', data: { base64: `data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}` } });
    expect(r.status).toBe(200);
    expect((await inboxFor(r.body.message_id ?? '')).media?.sha256).toBe(sha256(bytes));
  });

  it('image: the placeholder left as written is a 400 naming data.base64', async () => {
    const r = await g.send(t, 'image', { phone: '554499999999', data: { text: 'Hello from Connexa!', base64: 'url_base64_data' } });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('invalid_base64');
    expect(r.body.error?.details?.[0]?.field).toBe('data.base64');
  });

  it('video, audio and document by base64', async () => {
    const video = isoBmff('mp42');
    const audio = opus();
    const doc = pdf();
    const v = await g.send(t, 'video', { phone: '554499999999', data: { text: 'clip', base64: Buffer.from(video).toString('base64') } });
    const a = await g.send(t, 'audio', { phone: '554499999999', data: { text: 'listen to this', base64: Buffer.from(audio).toString('base64') } });
    const d = await g.send(t, 'document', {
      phone: '554499999999',
      data: { text: 'the report', filename: 'Q3 report.pdf', base64: Buffer.from(doc).toString('base64') },
    });
    expect([v.status, a.status, d.status]).toEqual([200, 200, 200]);
    expect((await inboxFor(v.body.message_id ?? '')).media).toMatchObject({ mime: 'video/mp4', sha256: sha256(video) });
    // Audio cannot carry a caption: the text follows as a second message under the same message_id.
    const audioEntry = await inboxFor(a.body.message_id ?? '', 0);
    expect(audioEntry).toMatchObject({ type: 'audio', text: null, media: { sha256: sha256(audio) } });
    expect(audioEntry.media?.mime).toContain('audio/ogg');
    expect(await inboxFor(a.body.message_id ?? '', 1)).toMatchObject({ type: 'text', text: 'listen to this' });
    expect((await inboxFor(d.body.message_id ?? '')).media).toMatchObject({ mime: 'application/pdf', filename: 'Q3 report.pdf', sha256: sha256(doc) });
  });

  it('image and document by URL are fetched by the server and arrive intact', async () => {
    const img = await g.send(t, 'image', { phone: '554499999999', data: { text: 'by url', url: `${files.origin}/files/photo.png` } });
    const doc = await g.send(t, 'document', { phone: '554499999999', data: { url: `${files.origin}/files/Q3%20report.pdf` } });
    expect([img.status, doc.status]).toEqual([200, 200]);
    expect((await inboxFor(img.body.message_id ?? '')).media).toMatchObject({ mime: 'image/png', sha256: sha256(png()) });
    // The file name comes from the URL path when none is given.
    expect((await inboxFor(doc.body.message_id ?? '')).media).toMatchObject({ filename: 'Q3 report.pdf', sha256: sha256(pdf()) });
  });

  it('a URL that cannot be fetched fails the message with a clear reason', async () => {
    const r = await g.send(t, 'image', { phone: '554499999999', data: { url: `${files.origin}/files/missing.png` } });
    expect(r.status).toBe(200);
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(s.error?.code).toBe('media_fetch_failed');
    expect(s.error?.message).toMatch(/404/);
  });

  it('a URL whose bytes are the wrong kind fails with media_type_mismatch', async () => {
    const r = await g.send(t, 'video', { phone: '554499999999', data: { url: `${files.origin}/files/photo.png` } });
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(s.error?.code).toBe('media_type_mismatch');
  });
});
