/**
 * Idempotency-Key on sends, against the real server: a retry gets the first
 * answer and sends nothing new, a reused key with another body is a 409,
 * concurrent duplicates become one message, and the sandbox inbox proves how
 * many messages actually went out.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
let t: Tenant;

beforeAll(async () => {
  g = await startTestGateway();
  t = await g.tenant();
});
afterAll(async () => g?.stop());

const text = (s: string) => ({ phone: '554499999999', data: { text: s } });

async function arrivals(messageId: string): Promise<number> {
  const r = await g.get(t, '/api/v1/sandbox/messages?limit=1000');
  return (r.body.messages ?? []).filter((m) => m.message_id === messageId).length;
}

describe('Idempotency-Key', () => {
  it('a retry with the same key and body gets the first message_id and sends nothing new', async () => {
    const key = randomUUID();
    const first = await g.send(t, 'text', text('once only'), { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    await waitForStatus(g, t, first.body.message_id ?? '', ['read']);

    const again = await g.send(t, 'text', text('once only'), { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.body.message_id).toBe(first.body.message_id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await new Promise((r) => setTimeout(r, 300));
    const inbox = (await g.get(t, '/api/v1/sandbox/messages?limit=1000')).body.messages ?? [];
    expect(inbox.filter((m) => m.text === 'once only')).toHaveLength(1);
    expect(await arrivals(first.body.message_id ?? '')).toBe(1);
  });

  it('the same JSON with its keys in another order is the same request', async () => {
    const key = randomUUID();
    const a = await g.send(t, 'text', '{"phone":"554499999999","data":{"text":"ordered"}}', { 'Idempotency-Key': key });
    const b = await g.send(t, 'text', '{"data":{"text":"ordered"},"phone":"554499999999"}', { 'Idempotency-Key': key });
    expect(a.status).toBe(200);
    expect(b.body.message_id).toBe(a.body.message_id);
  });

  it('the same key with a different body is 409 idempotency_key_reused and stores nothing', async () => {
    const key = randomUUID();
    const a = await g.send(t, 'text', text('first body'), { 'Idempotency-Key': key });
    expect(a.status).toBe(200);
    const b = await g.send(t, 'text', text('second body'), { 'Idempotency-Key': key });
    expect(b.status).toBe(409);
    expect(b.body.error?.code).toBe('idempotency_key_reused');
    expect(b.body.error?.details?.[0]?.field).toBe('Idempotency-Key');
    expect(b.body.error?.message).toContain(a.body.message_id ?? 'missing');
    // Another type with the same body is a different request too.
    const c = await g.send(t, 'document', text('first body'), { 'Idempotency-Key': key });
    expect(c.status).toBe(409);
    await waitForStatus(g, t, a.body.message_id ?? '', ['read']);
    await new Promise((r) => setTimeout(r, 300));
    const inbox = (await g.get(t, '/api/v1/sandbox/messages?limit=1000')).body.messages ?? [];
    expect(inbox.filter((m) => m.text === 'second body')).toEqual([]);
    expect(inbox.filter((m) => m.text === 'first body')).toHaveLength(1);
  });

  it('concurrent duplicates become one message', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 25 }, () => g.send(t, 'text', text('burst'), { 'Idempotency-Key': key })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const ids = new Set(answers.map((a) => a.body.message_id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(24);
    const id = [...ids][0] ?? '';
    await waitForStatus(g, t, id, ['read']);
    expect(await arrivals(id)).toBe(1);
  });

  it('keys belong to an instance: another instance may use the same key', async () => {
    const other = await g.tenant();
    const key = randomUUID();
    const a = await g.send(t, 'text', text('mine'), { 'Idempotency-Key': key });
    const b = await g.send(other, 'text', text('mine'), { 'Idempotency-Key': key });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.message_id).not.toBe(a.body.message_id);
  });

  it('a refused request does not use up its key', async () => {
    const key = randomUUID();
    const bad = await g.send(t, 'text', { phone: '554499999999', data: { text: '' } }, { 'Idempotency-Key': key });
    expect(bad.status).toBe(400);
    const good = await g.send(t, 'text', text('now valid'), { 'Idempotency-Key': key });
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not printable ASCII', 'clé-ünïcode'],
    ['only spaces', '   '],
  ])('a key %s is 400 invalid_idempotency_key', async (_what, key) => {
    const r = await g.send(t, 'text', text('x'), { 'Idempotency-Key': key });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('invalid_idempotency_key');
    expect(r.body.error?.details?.[0]?.field).toBe('Idempotency-Key');
  });

  it('a 255-character key is accepted', async () => {
    const r = await g.send(t, 'text', text('long key'), { 'Idempotency-Key': 'k'.repeat(255) });
    expect(r.status).toBe(200);
  });
});
