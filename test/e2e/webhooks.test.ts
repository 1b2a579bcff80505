/**
 * Webhooks through the real server to real receivers on 127.0.0.1: signed
 * (checked with the independent `standardwebhooks` package), ordered per
 * endpoint, retried from rows with the same webhook-id, 410 disables, redirects
 * are failures, Retry-After is honoured, a slow receiver delays nobody else.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { receiver, type Received, type Receiver } from '../helpers/webhook-receiver.js';

let g: TestGateway;
const receivers: Receiver[] = [];
const newReceiver = async () => {
  const r = await receiver();
  receivers.push(r);
  return r;
};

async function configure(t: Tenant, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${g.url}/api/v1/instance/webhook`, {
    method: 'PUT',
    headers: { authorization: t.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const text = (t: Tenant, body = 'hi') => g.send(t, 'text', { phone: '554499999999', data: { text: body } });
const waitForSent = (t: Tenant, id: string) => waitForStatus(g, t, id, ['sent', 'delivered', 'read']);

beforeAll(async () => {
  g = await startTestGateway({
    CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    CONNEXA_WEBHOOK_RETRY_SCALE_PERMILLE: '1',
    CONNEXA_WEBHOOK_POLL_MS: '20',
    CONNEXA_WEBHOOK_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  await g?.stop();
  for (const r of receivers) await r.close();
});

describe('webhooks', () => {
  it("a message's sent, delivered and read arrive in order, signed, secret shown once", async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    const put = await configure(t, { url: r.url });
    expect(put.status).toBe(200);
    const secret = String(put.body['secret']);
    expect(secret).toMatch(/^whsec_/);
    expect((await g.get(t, '/api/v1/instance/webhook')).body).toMatchObject({ url: r.url, enabled: true });
    expect((await g.get(t, '/api/v1/instance/webhook')).body['secret']).toBeUndefined();

    const sent = await text(t, 'Hello from Connexa!');
    await waitFor(async () => (r.got.length >= 3 ? true : undefined), 10_000, 'three events');
    expect(r.got.map((e) => e.type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
    const wh = new Webhook(secret);
    for (const e of r.got) {
      // What a receiver's router and logs see.
      expect([e.method, e.headers['content-type'], e.headers['user-agent']]).toEqual(['POST', 'application/json', 'Connexa-Webhooks/1']);
      const payload = wh.verify(e.body, e.headers as Record<string, string>) as {
        id: string;
        instance_id: string;
        data: { message_id: string; status: string };
      };
      expect(payload.id).toBe(e.headers['webhook-id']);
      expect(payload.instance_id).toBe(t.instanceId);
      expect(payload.data.message_id).toBe(sent.body.message_id);
      expect(JSON.stringify(payload)).not.toContain(t.token);
    }
  });

  it('failures are retried from rows with the same webhook-id until delivered; the log shows it', async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    r.answer = (_q, n, res) => res.writeHead(n <= 2 ? 500 : 200).end();
    await configure(t, { url: r.url, events: ['message.sent'] });
    await text(t);
    await waitFor(async () => (r.hits >= 3 ? true : undefined), 10_000, 'three attempts');
    expect(new Set(r.got.map((e) => e.headers['webhook-id'])).size).toBe(1);
    const log = await waitFor(
      async () => {
        const d = (await g.get(t, '/api/v1/webhooks/deliveries')).body['deliveries'] as { status: string; attempts: number; last_response_status: number }[];
        return d[0]?.status === 'delivered' ? d : undefined;
      },
      5000,
      'the delivery log',
    );
    expect(log[0]).toMatchObject({ status: 'delivered', attempts: 3, last_response_status: 200 });
  });

  it('410 disables the endpoint; a redirect is a failure and is not followed', async () => {
    const gone = await g.tenant();
    const r410 = await newReceiver();
    r410.answer = (_q, _n, res) => res.writeHead(410).end();
    await configure(gone, { url: r410.url, events: ['message.sent'] });
    await text(gone);
    await waitFor(
      async () => ((await g.get(gone, '/api/v1/instance/webhook')).body['enabled'] === false ? true : undefined),
      5000,
      'the endpoint to be disabled',
    );
    await text(gone);
    await new Promise((res) => setTimeout(res, 300));
    expect(r410.hits).toBe(1);

    const moved = await g.tenant();
    const target = await newReceiver();
    const r302 = await newReceiver();
    r302.answer = (_q, _n, res) => res.writeHead(302, { location: target.url }).end();
    await configure(moved, { url: r302.url, events: ['message.sent'] });
    await text(moved);
    await waitFor(async () => (r302.hits >= 2 ? true : undefined), 5000, 'a retry after the redirect');
    expect(target.hits).toBe(0);
    const d = (await g.get(moved, '/api/v1/webhooks/deliveries')).body['deliveries'] as { last_error: string }[];
    expect(d[0]?.last_error).toMatch(/302.*not followed/);
  });

  it('a receiver that does not answer in time is retried with the same webhook-id', async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    r.answer = (_q, n, res) => (n === 1 ? setTimeout(() => res.writeHead(200).end(), 1500) : res.writeHead(200).end());
    await configure(t, { url: r.url, events: ['message.sent'] });
    await text(t);
    const log = await waitFor(
      async () => {
        const d = (await g.get(t, '/api/v1/webhooks/deliveries')).body['deliveries'] as { status: string; attempts: number }[];
        return d[0]?.status === 'delivered' ? d : undefined;
      },
      10_000,
      'the retried delivery',
    );
    expect(log[0]?.attempts).toBe(2);
    expect(r.got[0]?.headers['webhook-id']).toBe(r.got[1]?.headers['webhook-id']);
  });

  it('events keep queueing while an endpoint is disabled by a 410 and go out in order once it is saved again', async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    r.answer = (_q, n, res) => res.writeHead(n === 1 ? 410 : 200).end();
    await configure(t, { url: r.url, events: ['message.sent'] });
    const first = await text(t, 'one');
    await waitFor(async () => ((await g.get(t, '/api/v1/instance/webhook')).body['enabled'] === false ? true : undefined), 5000, 'disabled');
    const second = await text(t, 'two');
    await waitForSent(t, second.body.message_id ?? '');
    await configure(t, { url: r.url, events: ['message.sent'] });
    await waitFor(async () => (r.got.length === 3 ? true : undefined), 5000, 'the queued events');
    const ids = r.got.slice(1).map((e) => (JSON.parse(e.body) as { data: { message_id: string } }).data.message_id);
    expect(ids).toEqual([first.body.message_id, second.body.message_id]);
  });

  it("deliveries, retry and replay see only the caller's instance; DELETE drops what is pending", async () => {
    const a = await g.tenant();
    const b = await g.tenant();
    const r = await newReceiver();
    r.answer = (_q, _n, res) => res.writeHead(500).end();
    await configure(a, { url: r.url, events: ['message.sent'] });
    await text(a);
    const id = await waitFor(
      async () => {
        const d = (await g.get(a, '/api/v1/webhooks/deliveries')).body['deliveries'] as { id: number }[];
        return d[0]?.id;
      },
      5000,
      'a delivery',
    );
    expect((await g.get(b, '/api/v1/webhooks/deliveries')).body['deliveries']).toEqual([]);
    expect((await g.post(b, `/api/v1/webhooks/deliveries/${id}/retry`)).status).toBe(404);
    expect((await g.post(b, '/api/v1/webhooks/replay', { since: '2000-01-01T00:00:00Z' })).body['replayed']).toBe(0);
    const del = await fetch(`${g.url}/api/v1/instance/webhook`, { method: 'DELETE', headers: { authorization: a.auth } });
    expect(del.status).toBe(204);
    const after = (await g.get(a, '/api/v1/webhooks/deliveries')).body['deliveries'] as { status: string; last_error: string }[];
    expect(after[0]).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/deleted/) });
    expect((await g.get(a, '/api/v1/instance/webhook')).status).toBe(404);
  });

  it('Retry-After is honoured', async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    r.answer = (_q, n, res) => (n === 1 ? res.writeHead(503, { 'retry-after': '1' }).end() : res.writeHead(200).end());
    await configure(t, { url: r.url, events: ['message.sent'] });
    await text(t);
    await waitFor(async () => (r.hits >= 2 ? true : undefined), 5000, 'the second attempt');
    expect((r.got[1]?.at ?? 0) - (r.got[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('a slow receiver delays only its own instance', async () => {
    const slow = await g.tenant();
    const fast = await g.tenant();
    const rs = await newReceiver();
    const rf = await newReceiver();
    rs.answer = (_q, _n, res) => setTimeout(() => res.writeHead(200).end(), 1500);
    await configure(slow, { url: rs.url, events: ['message.sent'] });
    await configure(fast, { url: rf.url, events: ['message.sent'] });
    for (let i = 0; i < 3; i++) await text(slow, `s${i}`);
    const started = Date.now();
    for (let i = 0; i < 5; i++) await text(fast, `f${i}`);
    await waitFor(async () => (rf.got.length === 5 ? true : undefined), 5000, 'the fast receiver');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(rs.got.length).toBeLessThan(3);
  });

  it('rotation signs with the new and the old secret; replay resends with the same ids', async () => {
    const t = await g.tenant();
    const r = await newReceiver();
    const first = String((await configure(t, { url: r.url, events: ['message.sent'] })).body['secret']);
    const second = String((await configure(t, { url: r.url, events: ['message.sent'], rotate_secret: true })).body['secret']);
    expect(second).not.toBe(first);
    const since = new Date(Date.now() - 1000).toISOString();
    await text(t);
    await waitFor(async () => (r.got.length === 1 ? true : undefined), 5000, 'the event');
    const e = r.got[0] as Received;
    expect(new Webhook(first).verify(e.body, e.headers as Record<string, string>)).toBeDefined();
    expect(new Webhook(second).verify(e.body, e.headers as Record<string, string>)).toBeDefined();
    const replay = await g.post(t, '/api/v1/webhooks/replay', { since });
    expect(replay.body['replayed']).toBe(1);
    await waitFor(async () => (r.got.length === 2 ? true : undefined), 5000, 'the replay');
    expect(r.got[1]?.headers['webhook-id']).toBe(e.headers['webhook-id']);
  });

  it('targets on loopback or private addresses are refused unless opted in', async () => {
    const strict = await startTestGateway();
    try {
      const t = await strict.tenant();
      for (const url of ['http://127.0.0.1:9/hook', 'http://10.0.0.5/hook', 'http://[::1]/x', 'http://169.254.169.254/latest', 'ftp://example.com/x']) {
        const res = await fetch(`${strict.url}/api/v1/instance/webhook`, {
          method: 'PUT',
          headers: { authorization: t.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ url }),
        });
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { code: string; details: { field: string }[] } };
        expect(['webhook_url_blocked', 'invalid_url']).toContain(body.error.code);
        expect(body.error.details[0]?.field).toBe('url');
      }
    } finally {
      await strict.stop();
    }
  });
});
