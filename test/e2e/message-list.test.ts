/**
 * GET /api/v1/messages through the real server: an instance's outgoing
 * messages newest first with the status endpoint's fields (no timeline),
 * filtered by status, phone and accept time, paged with a cursor that never
 * repeats or skips a message; another instance's messages never show; bad
 * filters are a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitForStatus, type ApiBody, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
let t: Tenant;
const sent: { id: string; phone: string }[] = [];
let failedId = '';
let between = '';

beforeAll(async () => {
  g = await startTestGateway();
  t = await g.tenant();
  for (let i = 0; i < 7; i++) {
    const phone = i % 2 === 0 ? '5544999990001' : '5544999990002';
    const r = await g.send(t, 'text', { phone, data: { text: `m${i}` } });
    sent.push({ id: r.body.message_id ?? '', phone });
    if (i === 3) {
      await new Promise((r) => setTimeout(r, 20));
      between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  // The sandbox's number that is not on WhatsApp: failed.
  failedId = (await g.send(t, 'text', { phone: '15550100404', data: { text: 'nobody' } })).body.message_id ?? '';
  await waitForStatus(g, t, failedId, ['failed']);
  for (const s of sent) await waitForStatus(g, t, s.id, ['read']);
});
afterAll(() => g.stop());

type Listed = { messages: ApiBody[]; next_cursor: string | null };
const list = async (query = '', who = t): Promise<{ status: number; body: Listed & ApiBody }> => {
  const r = await g.get(who, `/api/v1/messages${query}`);
  return { status: r.status, body: r.body as Listed & ApiBody };
};
const ids = (b: Listed) => b.messages.map((m) => m.message_id);

describe('GET /api/v1/messages', () => {
  it('lists the instance messages newest first, with the status fields and no timeline', async () => {
    const r = await list();
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual([failedId, ...sent.map((s) => s.id).reverse()]);
    const single = (await g.get(t, `/api/v1/message/${sent[0]?.id ?? ''}`)).body;
    const { events: _timeline, ...fields } = single;
    expect(r.body.messages.at(-1)).toEqual(fields);
    expect(r.body.messages[0]).toMatchObject({ status: 'failed', error: { code: 'recipient_not_on_whatsapp' } });
    expect(r.body.next_cursor).toBeNull();
  });

  it('filters by status, phone and accept time', async () => {
    expect(ids((await list('?status=failed')).body)).toEqual([failedId]);
    expect(ids((await list('?status=read,failed')).body)).toHaveLength(8);
    expect(ids((await list('?status=queued')).body)).toEqual([]);
    const second = sent.filter((s) => s.phone === '5544999990002').map((s) => s.id);
    expect(ids((await list('?phone=%2B55%2044%209999-90002')).body)).toEqual(second.reverse());
    expect(ids((await list(`?since=${encodeURIComponent(between)}&status=read`)).body)).toEqual(
      sent
        .slice(4)
        .map((s) => s.id)
        .reverse(),
    );
    expect(ids((await list(`?until=${encodeURIComponent(between)}`)).body)).toEqual(
      sent
        .slice(0, 4)
        .map((s) => s.id)
        .reverse(),
    );
  });

  it('pages with a cursor: every message once, in order', async () => {
    const seen: unknown[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null && pages < 10) {
      const page: { body: Listed } = await list(`?limit=3${cursor === '' ? '' : `&cursor=${cursor}`}`);
      seen.push(...ids(page.body));
      cursor = page.body.next_cursor;
      pages++;
    }
    expect(seen).toEqual([failedId, ...sent.map((s) => s.id).reverse()]);
    expect(pages).toBe(3);
  });

  it("never shows another instance's messages", async () => {
    const other = await g.tenant();
    expect(ids((await list('', other)).body)).toEqual([]);
  });

  it('refuses bad filters, naming the field', async () => {
    for (const [query, field, code] of [
      ['?status=lost', 'status', 'invalid_status'],
      ['?phone=abc', 'phone', 'invalid_phone'],
      ['?since=yesterday', 'since', 'invalid_time'],
      ['?since=2026-11-29T10:00:00Z&until=2026-11-28T10:00:00Z', 'until', 'invalid_range'],
      ['?limit=0', 'limit', 'invalid_limit'],
      ['?cursor=x', 'cursor', 'invalid_cursor'],
    ] as const) {
      const r = await list(query);
      expect([r.status, r.body.error?.details?.[0]?.field]).toEqual([400, field]);
      expect(r.body.error?.code).toBe(code);
    }
  });
});
