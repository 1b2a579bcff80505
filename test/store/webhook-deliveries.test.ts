/**
 * An attempt that was in flight when its endpoint was deleted does not
 * overwrite why the event was dropped, nor bring it back.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { WebhookDeliveryStatements } from '../../src/store/webhook-deliveries.js';
import { WebhookEndpointStatements } from '../../src/store/webhook-endpoints.js';
import { WebhookOutboxStatements } from '../../src/store/webhook-outbox.js';
import { NOT_STREAMED } from '../helpers/event-log.js';
import { generateWebhookSecret } from '../../src/webhooks/signature.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('connexa-wh-store-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a late failed attempt leaves a dropped event dropped', async () => {
  const admin = new AdminService(store.db, ['sandbox']);
  const instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
  const endpoints = new WebhookEndpointStatements(store, new Sealer(randomBytes(32)));
  await endpoints.put(instanceId, 'https://hooks.example.com/x', null, generateWebhookSecret(), 1_000);
  await store.writeTx(false, (tx) =>
    new WebhookOutboxStatements(() => 'e1', NOT_STREAMED).instance(tx, instanceId, 'instance.connected', 1_000, { phone: null }),
  );
  const deliveries = new WebhookDeliveryStatements(store);
  const [event] = await deliveries.dueHeads(2_000, [], 10);
  expect(event).toBeDefined();

  // DELETE /instance/webhook while the attempt is in flight…
  await endpoints.delete(instanceId);
  // …then the attempt ends with a 500.
  await deliveries.record({ kind: 'retry', id: event?.id ?? 0, status: 500, error: 'The receiver answered 500', at: 3_000, nextAt: 8_000 });
  await deliveries.record({ kind: 'dead', id: event?.id ?? 0, status: 500, error: 'gave up', at: 3_000 });

  const [row] = await deliveries.list(instanceId, undefined, 10);
  expect(row).toMatchObject({ status: 'failed', last_error: 'The webhook endpoint was deleted', attempts: 0 });
});
