/**
 * Bounded queues and send rates, against the real server: past the
 * per-instance queue depth or send rate a send is 429 with Retry-After and
 * nothing is stored; other instances and status reads are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const text = { phone: '554499999999', data: { text: 'hello' } };

describe('per-instance queue depth', () => {
  let g: TestGateway;
  beforeAll(async () => {
    // No dispatcher: accepted messages stay queued, so the depth only grows.
    g = await startTestGateway({ CONNEXA_DISPATCH: 'false', CONNEXA_QUEUE_MAX_PER_INSTANCE: '5', CONNEXA_SEND_RATE_PER_INSTANCE: '0' });
  });
  afterAll(async () => g?.stop());

  it('a full queue answers 429 queue_full with Retry-After; another instance still sends; reads still work', async () => {
    const t = await g.tenant();
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await g.send(t, 'text', text);
      expect(r.status).toBe(200);
      accepted.push(r.body.message_id ?? '');
    }
    const full = await g.send(t, 'text', text);
    expect(full.status).toBe(429);
    expect(full.body.error?.code).toBe('queue_full');
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await g.send(t, 'image', { phone: '554499999999', data: { url: 'https://example.com/a.png' } })).status).toBe(429);

    const other = await g.tenant();
    expect((await g.send(other, 'text', text)).status).toBe(200);
    expect((await g.get(t, `/api/v1/message/${accepted[0] ?? ''}`)).status).toBe(200);
    const rows = await g.gateway.app.inject({ method: 'GET', url: '/readyz' });
    expect(rows.statusCode).toBe(200);
  });

  it('the depth counts what is stored, also after a restart of the count (a fresh cache sees the rows)', async () => {
    const t = await g.tenant();
    const answers = await Promise.all(Array.from({ length: 12 }, () => g.send(t, 'text', text)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(7);
    // Wait past the count's refresh: the database agrees with the cache.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await g.send(t, 'text', text)).status).toBe(429);
  });
});

describe('per-instance send rate', () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway({ CONNEXA_SEND_RATE_PER_INSTANCE: '5' });
  });
  afterAll(async () => g?.stop());

  it('past the rate a send is 429 rate_limited with Retry-After; another instance is not limited', async () => {
    const t = await g.tenant();
    const other = await g.tenant();
    const answers = await Promise.all(Array.from({ length: 10 }, () => g.send(t, 'text', text)));
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(5);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]?.body.error?.code).toBe('rate_limited');
    // The window is one second: what is left of it, rounded up.
    expect(limited.map((a) => a.headers.get('retry-after'))).toEqual(limited.map(() => '1'));
    expect((await g.send(other, 'text', text)).status).toBe(200);
    // The window passes; the instance sends again.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await g.send(t, 'text', text)).status).toBe(200);
  });
});
