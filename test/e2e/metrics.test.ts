/**
 * GET /metrics against the real server: every family the issue lists is
 * there and moves with real traffic (a send that goes all the way to `read`,
 * a webhook delivered to a local receiver), per-instance queue gauges come
 * from the database, and the optional token guards the endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, waitForStatus, type TestGateway } from '../helpers/gateway.js';

const TOKEN = 'metrics-token-0123456789';

/** The value of one sample line, e.g. `connexa_sends_total{engine="sandbox",outcome="sent"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(g: TestGateway, token?: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${g.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe('/metrics', () => {
  let g: TestGateway;
  let receiver: Server;
  let delivered = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    g = await startTestGateway({ CONNEXA_METRICS_TOKEN: TOKEN, CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', CONNEXA_WEBHOOK_POLL_MS: '20' });
  });
  afterAll(async () => {
    await g?.stop();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('needs the token when one is configured', async () => {
    const none = await scrape(g);
    expect(none.status).toBe(401);
    expect(none.text).not.toContain(TOKEN);
    expect((await scrape(g, 'wrong-token-0123456789xx')).status).toBe(401);
    const ok = await scrape(g, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
  });

  it('counts requests, accepts, dispatch, sends, receipts, webhooks, instance states and event-loop delay', async () => {
    const t = await g.tenant();
    const port = (receiver.address() as AddressInfo).port;
    const hook = await fetch(`${g.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, events: ['message.read'] }),
    });
    expect(hook.status).toBe(200);
    const sent = await g.send(t, 'text', { phone: '554499999999', data: { text: 'measured' } });
    await waitForStatus(g, t, sent.body.message_id ?? '', ['read']);
    await waitFor(async () => (delivered >= 1 ? true : undefined), 10_000, 'the webhook');
    await g.send(t, 'text', { phone: '', data: { text: 'bad' } });
    // Not on WhatsApp (a sandbox magic number): a failed attempt.
    const nobody = await g.send(t, 'text', { phone: '15550100404', data: { text: 'nobody' } });
    await waitForStatus(g, t, nobody.body.message_id ?? '', ['failed']);

    const { text } = await scrape(g, TOKEN);
    expect(sample(text, 'connexa_http_requests_total', { route: '/api/v1/message/text', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_http_requests_total', { route: '/api/v1/message/text', method: 'POST', status: '400' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_accept_duration_seconds_count', { type: 'text' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_dispatch_latency_seconds_count', { engine: 'sandbox' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_sends_total', { engine: 'sandbox', outcome: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_sends_total', { engine: 'sandbox', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_receipts_total', { status: 'delivered' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_receipts_total', { status: 'read' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_webhook_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'connexa_instances', { engine: 'sandbox', state: 'disconnected' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    // Nothing secret in the scrape.
    expect(text).not.toContain(t.token);
  });
});

describe('/metrics queue gauges', () => {
  let g: TestGateway;
  beforeAll(async () => {
    // No dispatcher: what is accepted stays queued.
    g = await startTestGateway({ CONNEXA_DISPATCH: 'false' });
  });
  afterAll(async () => g?.stop());

  it('show the depth and the oldest message age per instance; open without a token', async () => {
    const t = await g.tenant();
    const idle = await g.tenant();
    for (let i = 0; i < 3; i++) expect((await g.send(t, 'text', { phone: '554499999999', data: { text: `q${i}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const { status, text } = await scrape(g);
    expect(status).toBe(200);
    expect(sample(text, 'connexa_queue_depth', { instance_id: t.instanceId })).toBe(3);
    expect(sample(text, 'connexa_queue_oldest_age_seconds', { instance_id: t.instanceId })).toBeGreaterThan(0.04);
    expect(sample(text, 'connexa_queue_depth', { instance_id: idle.instanceId })).toBeUndefined();
  });
});
