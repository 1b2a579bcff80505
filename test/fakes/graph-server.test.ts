/**
 * The fake Graph server does what ../shared/reference/cloud-api.md says Meta
 * does: auth and unknown ids, validation in Meta's error shape, the upload
 * table, the limits, scripted failures, and signed, retried webhooks.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGraphServer } from './graph/server.js';
import { waitFor } from '../helpers/gateway.js';

let graph: FakeGraphServer;
const receivers: http.Server[] = [];
/** Raw bodies and signatures the webhook receiver got. */
let got: { raw: string; signature: string }[];
/** Statuses the receiver answers with, in order (then 200). */
let answers: number[];

beforeEach(async () => {
  graph = await FakeGraphServer.start({ statusDelays: { sentMs: 1, deliveredMs: 5, readMs: 10 } });
  got = [];
  answers = [];
});
afterEach(async () => {
  await graph.close();
  for (const r of receivers.splice(0)) await new Promise<void>((resolve) => r.close(() => resolve()));
});

async function listen(verifyToken = 'vt'): Promise<string> {
  const receiver = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok = url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === verifyToken;
      res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'no');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-hub-signature-256']) });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  receivers.push(receiver);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
}

async function call(path: string, body?: unknown, token: string | null = graph.accessToken, method = 'POST') {
  const res = await fetch(`${graph.url}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: number; type: string; error_subcode?: number; error_data: { details: string } } } & Record<string, unknown>,
  };
}

const messages = () => `/v25.0/${graph.phoneNumberId}/messages`;
const text = (to: string, body = 'oi') => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body } });
const statusesOf = () =>
  got.flatMap(
    (g) =>
      (JSON.parse(g.raw) as { entry: { changes: { value: { statuses?: { id: string; status: string; errors?: { code: number }[] }[] } }[] }[] }).entry[0]
        ?.changes[0]?.value.statuses ?? [],
  );

describe('the fake Graph server', () => {
  it('refuses a missing token (190) and an unknown phone-number id (100/33)', async () => {
    const anon = await call(messages(), text('+5544999990000'), null);
    expect(anon.status).toBe(401);
    expect(anon.body.error).toMatchObject({ code: 190, type: 'OAuthException' });
    const unknown = await call('/v19.0/42/messages', text('+5544999990000'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  });

  it('accepts a text with wa_id and wamid, and sends sent, delivered, read, signed over the raw bytes', async () => {
    await graph.subscribe(await listen(), 'vt');
    graph.waIds.set('5511987654321', '551187654321');
    const ok = await call(messages(), text('+5511987654321'));
    expect(ok.status).toBe(200);
    expect(ok.body['contacts']).toEqual([{ input: '+5511987654321', wa_id: '551187654321' }]);
    const wamid = (ok.body['messages'] as { id: string }[])[0]?.id ?? '';
    expect(wamid).toMatch(/^wamid\./);
    await waitFor(async () => (statusesOf().length === 3 ? true : undefined), 5_000, 'three statuses');
    expect(statusesOf().map((s) => [s.id, s.status])).toEqual([
      [wamid, 'sent'],
      [wamid, 'delivered'],
      [wamid, 'read'],
    ]);
    for (const g of got) expect(g.signature).toBe(`sha256=${createHmac('sha256', graph.appSecret).update(g.raw).digest('hex')}`);
    // Inbound: non-ASCII escaped in the bytes that are signed.
    graph.inbound('5544988887777', { type: 'text', body: 'olá 👋' });
    await waitFor(async () => (got.length === 4 ? true : undefined), 5_000, 'the inbound message');
    expect(got[3]?.raw).toContain('ol\\u00e1 \\ud83d\\udc4b');
    expect(got[3]?.raw).not.toMatch(/[^\x00-\x7f]/);
  });

  it('validates like Meta: envelope, text length, id xor link, captions, filename, phone format', async () => {
    const code = async (body: unknown) => (await call(messages(), body)).body.error?.code;
    expect(await code({ ...text('+5544999990000'), messaging_product: undefined })).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } })).toBe(131008);
    expect(await code(text('005544999990000'))).toBe(100);
    expect(await code(text('+5544999990000', 'x'.repeat(4097)))).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'image', image: { link: 'http://a/b.png', id: '1' } })).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'image', image: {} })).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'audio', audio: { link: 'http://a/b.ogg', caption: 'no' } })).toBe(100);
    expect(
      await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'image', image: { link: 'http://a/b.png', caption: 'x'.repeat(1025) } }),
    ).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'image', image: { link: 'http://a/b.png', filename: 'b.png' } })).toBe(100);
    expect(await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'image', image: { id: '999' } })).toBe(131009);
    expect(
      await code({ messaging_product: 'whatsapp', to: '+5544999990000', type: 'document', document: { link: 'http://a/b.pdf', filename: 'b.pdf' } }),
    ).toBeUndefined();
  });

  it('takes uploads by the MIME and size table; the file only with the token; deletes', async () => {
    const upload = async (bytes: Buffer, mime: string) => {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', mime);
      form.set('file', new Blob([bytes], { type: mime }), 'f');
      const res = await fetch(`${graph.url}/v25.0/${graph.phoneNumberId}/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${graph.accessToken}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: number } } };
    };
    const png = Buffer.from('89504e470d0a1a0a00', 'hex');
    const up = await upload(png, 'image/png');
    expect(up.status).toBe(200);
    const info = await call(`/v25.0/${up.body.id}`, undefined, graph.accessToken, 'GET');
    expect(info.body).toMatchObject({ mime_type: 'image/png', file_size: String(png.length), id: up.body.id });
    const fileUrl = String(info.body['url']);
    expect((await fetch(fileUrl)).status).toBe(404);
    expect(Buffer.from(await (await fetch(fileUrl, { headers: { authorization: `Bearer ${graph.accessToken}` } })).arrayBuffer())).toEqual(png);
    expect((await upload(Buffer.from('GIF89a'), 'image/gif')).body.error?.code).toBe(100);
    expect((await upload(Buffer.alloc(5 * 1024 * 1024 + 1), 'image/jpeg')).body.error?.code).toBe(131053);
    expect((await call(`/v25.0/${up.body.id}`, undefined, graph.accessToken, 'DELETE')).body).toEqual({ success: true });
    expect((await call(`/v25.0/${up.body.id}`, undefined, graph.accessToken, 'GET')).body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('applies throughput (130429) and the pair rate (131056), and scripted failures', async () => {
    graph.limits.options = { perSecond: 1000, pairEveryMs: 6_000, pairBurst: 2 };
    expect((await call(messages(), text('+5544999990001'))).status).toBe(200);
    expect((await call(messages(), text('+5544999990001'))).status).toBe(200);
    expect((await call(messages(), text('+5544999990001'))).body.error?.code).toBe(131056);
    expect((await call(messages(), text('+5544999990002'))).status).toBe(200);
    graph.fail(131000, { times: 2 });
    const failed = await call(messages(), text('+5544999990003'));
    expect([failed.status, failed.body.error?.code]).toEqual([500, 131000]);
    expect((await call(messages(), text('+5544999990003'))).body.error?.code).toBe(131000);
    expect((await call(messages(), text('+5544999990003'))).status).toBe(200);
    graph.limits.options = { perSecond: 3, pairEveryMs: 6_000, pairBurst: 100 };
    const codes: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) codes.push((await call(messages(), text(`+554499998${String(i).padStart(4, '0')}`))).body.error?.code);
    expect(codes.filter((c) => c === 130429).length).toBeGreaterThan(0);
  });

  it('fails after a 200 as scripted, and when a link cannot be fetched; retries and repeats webhooks', async () => {
    await graph.subscribe(await listen(), 'vt', { retryMs: 10, duplicateEvery: 1 });
    graph.failAfterAccept('+5544999990009', 131047);
    answers = [500];
    const outside = await call(messages(), text('+5544999990009'));
    expect(outside.status).toBe(200);
    const broken = await call(messages(), {
      messaging_product: 'whatsapp',
      to: '+5544999990008',
      type: 'image',
      image: { link: `${graph.url}/nothing-here.png` },
    });
    expect(broken.status).toBe(200);
    await waitFor(async () => (statusesOf().filter((s) => s.status === 'failed').length >= 4 ? true : undefined), 5_000, 'failed statuses, twice each');
    const codes = statusesOf()
      .filter((s) => s.status === 'failed')
      .map((s) => s.errors?.[0]?.code);
    expect(new Set(codes)).toEqual(new Set([131047, 131053]));
    // The first delivery got a 500 and was retried; every payload came twice.
    expect(got.length).toBeGreaterThanOrEqual(5);
    await expect(graph.subscribe(await listen('other'), 'vt')).rejects.toThrow(/verification failed/);
  });
});
