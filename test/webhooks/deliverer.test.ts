/** The webhook deliverer against real receivers: the address guard at delivery time, and the dead letter. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { WebhookDeliveryStatements } from '../../src/store/webhook-deliveries.js';
import { WebhookEndpointStatements } from '../../src/store/webhook-endpoints.js';
import { WebhookOutboxStatements } from '../../src/store/webhook-outbox.js';
import { NOT_STREAMED } from '../helpers/event-log.js';
import { WebhookDeliverer } from '../../src/webhooks/deliverer.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../src/webhooks/schedule.js';
import { generateWebhookSecret } from '../../src/webhooks/signature.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let instanceId: string;
let server: Server;
let port: number;
let hits: number;
let connections: number;
let deliverer: WebhookDeliverer | undefined;
/** Statuses the receiver answers, one per request in order; then 500. */
let statuses: number[] = [];

beforeEach(async () => {
  dir = tempDir('connexa-deliverer-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
  hits = 0;
  connections = 0;
  statuses = [];
  server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(statuses.shift() ?? 500).end());
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await deliverer?.stop();
  deliverer = undefined;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function setup(url: string, allowPrivateNetworks: boolean, lookup?: (host: string) => Promise<{ address: string; family: 4 | 6 }[]>, retryScale = 1e-6) {
  const endpoints = new WebhookEndpointStatements(store, new Sealer(randomBytes(32)));
  await endpoints.put(instanceId, url, null, generateWebhookSecret(), Date.now());
  await store.writeTx(false, (tx) =>
    new WebhookOutboxStatements(() => 'e1', NOT_STREAMED).instance(tx, instanceId, 'instance.connected', Date.now(), { phone: null }),
  );
  const deliveries = new WebhookDeliveryStatements(store);
  deliverer = new WebhookDeliverer(
    deliveries,
    endpoints,
    {
      allowPrivateNetworks,
      timeoutMs: 2000,
      retryScale,
      pollMs: 10,
      maxConcurrent: 4,
      ...(lookup !== undefined ? { lookup } : {}),
    },
    pino({ level: 'silent' }),
  );
  deliverer.start();
  return deliveries;
}

describe('webhook deliverer', () => {
  it('a host that resolves to a private address at delivery time is never connected to', async () => {
    // Saved while it looked public; now it resolves to loopback (DNS rebinding).
    const deliveries = await setup(`http://hooks.example.test:${port}/x`, false, async () => [{ address: '127.0.0.1', family: 4 }]);
    const row = await waitFor(
      async () => {
        const r = (await deliveries.list(instanceId, undefined, 1))[0];
        return r !== undefined && r.attempts >= 2 ? r : undefined;
      },
      5000,
      'two refused attempts',
    );
    expect(row.last_error).toMatch(/private or reserved/);
    expect(connections).toBe(0);
  });

  it('an endpoint whose secret cannot be read does not crash delivery; the event waits', async () => {
    const deliveries = await setup(`http://127.0.0.1:${port}/x`, true);
    await deliverer?.stop();
    // Same rows, another key: as after a change of CONNEXA_SECRET_KEY.
    deliverer = new WebhookDeliverer(
      deliveries,
      new WebhookEndpointStatements(store, new Sealer(randomBytes(32))),
      {
        allowPrivateNetworks: true,
        timeoutMs: 2000,
        retryScale: 1e-6,
        pollMs: 10,
        maxConcurrent: 4,
      },
      pino({ level: 'silent' }),
    );
    await store.writeTx(false, (tx) => tx.run(`UPDATE webhook_events SET status = 'pending', next_attempt_at = 0`));
    deliverer.start();
    const row = await waitFor(
      async () => {
        const r = (await deliveries.list(instanceId, undefined, 1))[0];
        return r?.last_error?.includes('Internal error') === true ? r : undefined;
      },
      5000,
      'the failed attempt to be recorded',
    );
    expect(row.status).toBe('pending');
  });

  it('after the last attempt the event is dead-lettered', async () => {
    const deliveries = await setup(`http://127.0.0.1:${port}/x`, true);
    const row = await waitFor(
      async () => {
        const r = (await deliveries.list(instanceId, undefined, 1))[0];
        return r?.status === 'failed' ? r : undefined;
      },
      10_000,
      'the dead letter',
    );
    expect(row.attempts).toBe(MAX_DELIVERY_ATTEMPTS);
    expect(hits).toBe(MAX_DELIVERY_ATTEMPTS);
    expect(row.last_error).toMatch(/gave up after 13 attempts/);
  });

  it('only 2xx delivers: a 300 is a redirect not followed, a 400 a failure, each retried; a 299 delivers', async () => {
    statuses = [300, 400, 299];
    // Retries about 0.5 s and then 3 s apart: each failure stays visible long enough to be read.
    const deliveries = await setup(`http://127.0.0.1:${port}/x`, true, undefined, 0.1);
    const errors: string[] = [];
    const row = await waitFor(
      async () => {
        const r = (await deliveries.list(instanceId, undefined, 1))[0];
        if (r?.last_error !== null && r?.last_error !== undefined && errors.at(-1) !== r.last_error) errors.push(r.last_error);
        return r?.status === 'delivered' ? r : undefined;
      },
      10_000,
      'the delivery',
    );
    expect(row.attempts).toBe(3);
    expect(hits).toBe(3);
    expect(errors[0]).toMatch(/300.*redirects are not followed/);
    expect(errors.at(-1) ?? '').toMatch(/400/);
    expect(errors.at(-1) ?? '').not.toMatch(/redirect/);
  });
});
