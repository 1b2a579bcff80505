/**
 * Fencing inside one node's dispatcher: node A is sending a lane of three
 * messages when it "pauses" (its clock jumps past its lease, the lease
 * expires in the database) and node B takes the instance over. When A's
 * send in hand returns, its outcome must not be written (the epoch it worked
 * under is gone), and A must not send the two messages behind it; B sends
 * all three. Real leases on a real PostgreSQL database, two dispatchers.
 */
import fs from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { EngineResolver } from '../../src/dispatch/engine-resolver.js';
import { MediaPreparer } from '../../src/dispatch/media-preparer.js';
import type { Engine, EngineName, OutgoingMessage, SendResult } from '../../src/engines/engine.js';
import type { Store } from '../../src/store/database.js';
import { LeaseStatements } from '../../src/store/leases.js';
import { MediaSpool } from '../../src/store/media-spool.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { OutcomeStatements } from '../../src/store/outcomes.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase } from '../helpers/test-db.js';

const silent = pino({ level: 'silent' });

class GatedEngine implements Engine {
  readonly name = 'sandbox' as const;
  readonly capabilities = { audioCaption: false, linking: false, lanesPerInstance: Number.POSITIVE_INFINITY };
  readonly sent: string[] = [];
  open: () => void = () => {};
  private gate: Promise<void> | undefined;
  constructor(gated: boolean) {
    if (gated) this.gate = new Promise((resolve) => (this.open = resolve));
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(m: OutgoingMessage): Promise<SendResult> {
    this.sent.push(m.messageId);
    await this.gate;
    return { providerId: `P-${m.messageId}` };
  }
}

interface Node {
  keeper: LeaseKeeper;
  dispatcher: Dispatcher;
  engine: GatedEngine;
}

const stores: Store[] = [];
const running: Node[] = [];
afterEach(async () => {
  for (const n of running.splice(0)) await n.dispatcher.stop();
  for (const s of stores.splice(0)) await s.close();
});

function node(store: Store, nodeId: string, engine: GatedEngine, clock: () => number): Node {
  let dispatcher: Dispatcher | undefined;
  const keeper = new LeaseKeeper(
    new LeaseStatements(store),
    {
      acquired: (ids) => void dispatcher?.adopt(ids),
      lost: (ids) => ids.forEach((id) => dispatcher?.forget(id)),
      handOver: async (ids) => dispatcher?.drain(ids),
    },
    { nodeId, url: undefined, leaseMs: 60_000, handOverStep: 10, handOverCooldownBeats: 1 },
    silent,
    undefined,
    clock,
  );
  const spool = MediaSpool.open(store, { dialect: 'postgres', url: '', poolMax: 2, acceptCommits: 1 });
  dispatcher = new Dispatcher(
    new OutboxStatements(store, keeper),
    new OutcomeStatements(store, undefined, spool),
    new EngineResolver(store.db, new Map<EngineName, Engine>([['sandbox', engine]])),
    new MediaPreparer(store, spool, { globalMaxBytes: 1 << 20, fetchTimeoutMs: 1_000, allowPrivateNetworks: true, maxConcurrentDownloads: 1 }),
    { nodeId, retryBaseMs: 10, retryMaxDelayMs: 100, maxAttempts: 3, pollIntervalMs: 20, batchSize: 8, maxActiveLanes: 8, laneBatch: 8, ownership: keeper },
    silent,
  );
  return { keeper, dispatcher, engine };
}

describe.skipIf(!onPostgres)('a lane in hand when its lease changes hands', () => {
  it('writes no outcome for the send in hand and sends nothing behind it; the new owner sends all', { timeout: 30_000 }, async () => {
    const dir = tempDir('connexa-fence-');
    const database = await testDatabase(dir);
    const storeA = await openTestStore(dir, { database });
    const storeB = await openTestStore(dir, { database, migrated: false });
    stores.push(storeB, storeA);
    const admin = new AdminService(storeA.db, ['sandbox']);
    const user = await admin.createUser('u');
    const instanceId = (await admin.createInstance(user.user_id, 'i', 'sandbox')).instance_id;
    const ids = ['m1', 'm2', 'm3'];
    await new AcceptStatements(storeA).insert(
      ids.map((id, i) => ({ id, instanceId, type: 'text' as const, recipient: '554499999999', text: id, acceptedAt: Date.now() + i, media: undefined })),
    );

    let aSkew = 0;
    const a = node(storeA, 'A', new GatedEngine(true), () => performance.now() + aSkew);
    const b = node(storeB, 'B', new GatedEngine(false), () => performance.now());
    await a.keeper.start();
    await b.keeper.start();
    expect(a.keeper.epochOf(instanceId)).toBe(1);
    running.push(a);
    await a.dispatcher.start();
    await waitFor(async () => (a.engine.sent.length === 1 ? true : undefined), 5_000, 'A sending m1');

    // A "pauses" past its lease: its clock jumps, its lease runs out, B takes the instance.
    aSkew = 10 * 60_000;
    await storeA.writeOne(`UPDATE instance_leases SET expires_at = 0 WHERE node_id = 'A'`);
    await b.keeper.tick();
    expect(b.keeper.epochOf(instanceId)).toBe(2);
    const rows = () => storeA.sql.all(`SELECT id, status, attempts, provider_id FROM messages ORDER BY id`);
    const before = JSON.stringify(await rows());

    // A wakes: its send in hand returns.
    a.engine.open();
    await new Promise((r) => setTimeout(r, 300));
    expect(a.engine.sent).toEqual(['m1']);
    expect(JSON.stringify(await rows())).toBe(before);

    running.push(b);
    await b.dispatcher.start();
    await waitFor(async () => ((await storeA.sql.all(`SELECT 1 FROM messages WHERE status = 'sent'`)).length === 3 ? true : undefined), 5_000, 'B sending');
    expect(b.engine.sent).toEqual(ids);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a node that takes its own instance back under a new lease claims the lane its old work left locked', { timeout: 30_000 }, async () => {
    const dir = tempDir('connexa-fence-');
    const database = await testDatabase(dir);
    const store = await openTestStore(dir, { database });
    stores.push(store);
    const admin = new AdminService(store.db, ['sandbox']);
    const instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
    const ids = ['m1', 'm2', 'm3'];
    await new AcceptStatements(store).insert(
      ids.map((id, i) => ({ id, instanceId, type: 'text' as const, recipient: '554499999999', text: id, acceptedAt: Date.now() + i, media: undefined })),
    );
    let skew = 0;
    const a = node(store, 'A', new GatedEngine(true), () => performance.now() + skew);
    await a.keeper.start();
    running.push(a);
    await a.dispatcher.start();
    await waitFor(async () => (a.engine.sent.length === 1 ? true : undefined), 5_000, 'A sending m1');

    // A pauses past its lease; on waking it takes the instance back itself, under epoch 2.
    skew = 10 * 60_000;
    await store.writeOne(`UPDATE instance_leases SET expires_at = 0 WHERE node_id = 'A'`);
    await a.keeper.tick();
    expect(a.keeper.epochOf(instanceId)).toBe(2);
    a.engine.open();
    await waitFor(
      async () => ((await store.sql.all(`SELECT 1 FROM messages WHERE status = 'sent'`)).length === 3 ? true : undefined),
      5_000,
      'the lane claimed again under the new lease and sent',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
