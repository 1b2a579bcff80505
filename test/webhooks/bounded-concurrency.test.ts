/**
 * Webhook deliveries run with bounded concurrency: with 10 instances whose
 * receiver is slow, no more than `maxConcurrent` requests are ever open at
 * once, and every event is still delivered. An endpoint's deliveries reuse
 * its keep-alive connection instead of opening one per event.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { WebhookDeliveryStatements } from '../../src/store/webhook-deliveries.js';
import { WebhookEndpointStatements } from '../../src/store/webhook-endpoints.js';
import { WebhookOutboxStatements } from '../../src/store/webhook-outbox.js';
import { NOT_STREAMED } from '../helpers/event-log.js';
import { WebhookDeliverer } from '../../src/webhooks/deliverer.js';
import { generateWebhookSecret } from '../../src/webhooks/signature.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string | undefined;
let store: Store | undefined;
let server: Server | undefined;
let deliverer: WebhookDeliverer | undefined;

afterEach(async () => {
  await deliverer?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

it('never has more than maxConcurrent deliveries open, and delivers everything', async () => {
  dir = tempDir('connexa-webhook-conc-');
  const db = await openTestStore(dir);
  store = db;
  expect((await migrate(db)).ok).toBe(true);
  let open = 0;
  let maxOpen = 0;
  let delivered = 0;
  let connections = 0;
  const srv = createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    req.resume();
    setTimeout(() => {
      open--;
      delivered++;
      res.writeHead(204).end();
    }, 60);
  });
  server = srv;
  srv.on('connection', () => connections++);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as AddressInfo).port;

  const admin = new AdminService(db.db, ['sandbox']);
  const user = await admin.createUser('u');
  const endpoints = new WebhookEndpointStatements(db, new Sealer(randomBytes(32)));
  let n = 0;
  const outbox = new WebhookOutboxStatements(() => `e${++n}`, NOT_STREAMED);
  for (let i = 0; i < 10; i++) {
    const id = (await admin.createInstance(user.user_id, `i${i}`, 'sandbox')).instance_id;
    await endpoints.put(id, `http://127.0.0.1:${port}/hook`, null, generateWebhookSecret(), Date.now());
    for (let k = 0; k < 3; k++) {
      await db.writeTx(false, (tx) => outbox.instance(tx, id, 'instance.connected', Date.now(), { phone: null }));
    }
  }
  deliverer = new WebhookDeliverer(
    new WebhookDeliveryStatements(db),
    endpoints,
    {
      allowPrivateNetworks: true,
      timeoutMs: 2000,
      retryScale: 1e-6,
      pollMs: 10,
      maxConcurrent: 3,
    },
    pino({ level: 'silent' }),
  );
  deliverer.start();
  await waitFor(async () => (delivered === 30 ? true : undefined), 10_000, 'all 30 events');
  expect(maxOpen).toBe(3);
  // 30 events over 10 endpoints: connections are reused, not one per event (undici
  // opens a new one when the next request goes out in the very turn the last ended).
  expect(connections).toBeLessThan(30);
});
