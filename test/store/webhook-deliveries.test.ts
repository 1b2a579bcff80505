/**
 * An attempt that was in flight when its endpoint was deleted does not
 * overwrite why the event was dropped, nor bring it back.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { WebhookDeliveryStatements } from '../../src/store/webhook-deliveries.js';
import { SECRET_OVERLAP_MS, WebhookEndpointStatements } from '../../src/store/webhook-endpoints.js';
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

describe('the operator views of deliveries', () => {
  let instanceId: string;
  let otherId: string;
  let deliveries: WebhookDeliveryStatements;
  let endpoints: WebhookEndpointStatements;
  const statuses = async (id = instanceId) =>
    (await deliveries.list(id, undefined, 100)).map((r) => ({ type: r.type, status: r.status, attempts: r.attempts, next: r.next_attempt_at }));

  beforeEach(async () => {
    const admin = new AdminService(store.db, ['sandbox']);
    const user = (await admin.createUser('u')).user_id;
    instanceId = (await admin.createInstance(user, 'i', 'sandbox')).instance_id;
    otherId = (await admin.createInstance(user, 'j', 'sandbox')).instance_id;
    endpoints = new WebhookEndpointStatements(store, new Sealer(randomBytes(32)));
    deliveries = new WebhookDeliveryStatements(store);
    let n = 0;
    const outbox = new WebhookOutboxStatements(() => `e${++n}`, NOT_STREAMED);
    for (const id of [instanceId, otherId]) {
      await endpoints.put(id, 'https://hooks.example.com/x', null, generateWebhookSecret(), 1_000);
      for (const [type, at] of [
        ['instance.connected', 1_000],
        ['instance.disconnected', 2_000],
        ['instance.connected', 3_000],
      ] as const)
        await store.writeTx(false, (tx) => outbox.instance(tx, id, type, at, { phone: null }));
    }
    // The first two of each instance: one delivered, one dead-lettered.
    const rows = await deliveries.list(instanceId, undefined, 100);
    const others = await deliveries.list(otherId, undefined, 100);
    for (const r of [rows, others]) {
      await deliveries.record({ kind: 'delivered', id: r[2]?.id ?? 0, status: 200, at: 1_100 });
      await deliveries.record({ kind: 'dead', id: r[1]?.id ?? 0, status: 500, error: 'gave up', at: 2_100 });
    }
  });

  it('the due head of each endpoint, oldest due first, skipping endpoints being delivered to', async () => {
    const heads = async (busy: string[]) => (await deliveries.dueHeads(10_000, busy, 10)).map((e) => e.instance_id);
    expect((await heads([])).sort()).toEqual([instanceId, otherId].sort());
    expect(await heads([otherId])).toEqual([instanceId]);
    expect(await heads([instanceId, otherId])).toEqual([]);
    expect(await deliveries.dueHeads(2_999, [], 10)).toEqual([]);
  });

  it('pages newest first, before a given id', async () => {
    const all = await deliveries.list(instanceId, undefined, 100);
    expect(all.map((r) => r.created_at)).toEqual([3_000, 2_000, 1_000]);
    const [first, second] = all;
    expect((await deliveries.list(instanceId, first?.id, 100)).map((r) => r.id)).toEqual(all.slice(1).map((r) => r.id));
    expect((await deliveries.list(instanceId, second?.id, 1)).map((r) => r.id)).toEqual([all[2]?.id]);
  });

  it('a retry puts one event of this instance back, due now, with its attempts reset', async () => {
    const [, dead] = await deliveries.list(instanceId, undefined, 100);
    const [, otherDead] = await deliveries.list(otherId, undefined, 100);
    expect(await deliveries.retryNow(instanceId, otherDead?.id ?? 0, 5_000)).toBe(false);
    expect(await deliveries.retryNow(instanceId, dead?.id ?? 0, 5_000)).toBe(true);
    expect(await statuses()).toEqual([
      { type: 'instance.connected', status: 'pending', attempts: 0, next: 3_000 },
      { type: 'instance.disconnected', status: 'pending', attempts: 0, next: 5_000 },
      { type: 'instance.connected', status: 'delivered', attempts: 1, next: 1_000 },
    ]);
    expect((await statuses(otherId)).map((s) => s.status)).toEqual(['pending', 'failed', 'delivered']);
  });

  it('a replay puts back every event of this instance created since a time', async () => {
    expect(await deliveries.replaySince(instanceId, 1_000, 6_000)).toBe(3);
    expect(await statuses()).toEqual([
      { type: 'instance.connected', status: 'pending', attempts: 0, next: 6_000 },
      { type: 'instance.disconnected', status: 'pending', attempts: 0, next: 6_000 },
      { type: 'instance.connected', status: 'pending', attempts: 0, next: 6_000 },
    ]);
    expect((await statuses(otherId)).map((s) => s.status)).toEqual(['pending', 'failed', 'delivered']);
  });

  it('pruning forgets delivered and dead-lettered events created before a time, never a pending one', async () => {
    expect(await deliveries.pruneFinished(2_000)).toBe(2);
    expect((await statuses()).map((s) => s.status)).toEqual(['pending', 'failed']);
    expect(await deliveries.pruneFinished(10_000)).toBe(2);
    expect((await statuses()).map((s) => s.status)).toEqual(['pending']);
    expect((await statuses(otherId)).map((s) => s.status)).toEqual(['pending']);
  });
});

describe('the signing secrets of an endpoint', () => {
  it('after a rotation, the old secret signs too until the overlap ends, not at its end', async () => {
    const admin = new AdminService(store.db, ['sandbox']);
    const instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
    const endpoints = new WebhookEndpointStatements(store, new Sealer(randomBytes(32)));
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    await endpoints.put(instanceId, 'https://hooks.example.com/x', null, oldSecret, 1_000);
    await endpoints.put(instanceId, 'https://hooks.example.com/x', null, newSecret, 2_000);
    const until = 2_000 + SECRET_OVERLAP_MS;
    expect((await endpoints.get(instanceId, until - 1))?.secrets).toEqual([newSecret, oldSecret]);
    expect((await endpoints.get(instanceId, until))?.secrets).toEqual([newSecret]);
  });
});
