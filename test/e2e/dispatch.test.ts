/** The dispatcher and the sandbox: magic numbers, retries, order, paging. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
let t: Tenant;

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_DISPATCH_MAX_ATTEMPTS: '4' });
  t = await g.tenant();
});
afterAll(async () => g?.stop());

const text = (phone: string, body = 'hi') => g.send(t, 'text', { phone, data: { text: body } });

describe('sandbox magic numbers', () => {
  it('15550100404 is not on WhatsApp: failed at once, no retry', async () => {
    const r = await text('15550100404');
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(s.error?.code).toBe('recipient_not_on_whatsapp');
    expect(s.attempts).toBe(1);
  });

  it('15550100502 fails twice, then is sent and read on the third attempt', async () => {
    const r = await text('15550100502');
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['read']);
    expect(s.attempts).toBe(3);
    expect(s.events?.filter((e) => e.status === 'retry_scheduled')).toHaveLength(2);
  });

  it('15550100599 always fails transiently: failed after the last attempt', async () => {
    const r = await text('15550100599');
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(s.attempts).toBe(4);
    expect(s.error?.code).toBe('sandbox_transient_failure');
    expect(s.error?.message).toMatch(/gave up after 4 attempts/);
  });

  it('15550100200 is delivered but never read', async () => {
    const r = await text('15550100200');
    await waitForStatus(g, t, r.body.message_id ?? '', ['delivered']);
    await new Promise((res) => setTimeout(res, 400));
    expect((await g.get(t, `/api/v1/message/${r.body.message_id ?? ''}`)).body.status).toBe('delivered');
  });
});

describe('ordering and retries', () => {
  it('messages to one recipient arrive in acceptance order, even behind a retrying head', async () => {
    // The flaky head fails twice; everything behind it must wait, not overtake.
    const ids: string[] = [];
    const first = await text('15550100503', 'm0');
    ids.push(first.body.message_id ?? '');
    for (let i = 1; i < 30; i++) ids.push((await text('15550100503', `m${i}`)).body.message_id ?? '');
    const entries = await waitFor(
      async () => {
        const r = await g.get(t, '/api/v1/sandbox/messages?limit=1000');
        const mine = (r.body.messages ?? []).filter((m) => m.phone === '15550100503');
        return mine.length === 30 ? mine : undefined;
      },
      15_000,
      'all 30 to arrive',
    );
    const arrivalOrder = [...entries].sort((a, b) => a.id - b.id).map((e) => e.text);
    expect(arrivalOrder).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
  });

  it('status never moves backwards and the timeline is complete', async () => {
    const r = await text('554499999999');
    const s = await waitForStatus(g, t, r.body.message_id ?? '', ['read']);
    expect(s.events?.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
    expect(s.sent_at).not.toBeNull();
    expect(s.read_at).not.toBeNull();
  });
});

describe('sandbox inbox paging', () => {
  it('newest first, limit, and a cursor for the next page', async () => {
    const other = await g.tenant();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await g.send(other, 'text', { phone: '554499999999', data: { text: `p${i}` } })).body.message_id ?? '');
    await waitFor(async () => ((await g.get(other, '/api/v1/sandbox/messages')).body.messages?.length === 5 ? true : undefined));
    const page1 = await g.get(other, '/api/v1/sandbox/messages?limit=3');
    expect(page1.body.messages?.map((m) => m.text)).toEqual(['p4', 'p3', 'p2']);
    const page2 = await g.get(other, `/api/v1/sandbox/messages?limit=3&cursor=${page1.body.next_cursor ?? ''}`);
    expect(page2.body.messages?.map((m) => m.text)).toEqual(['p1', 'p0']);
    expect(page2.body.next_cursor).toBeNull();
    expect((await g.get(other, '/api/v1/sandbox/messages?limit=1001')).status).toBe(400);
  });
});
