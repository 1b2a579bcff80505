/**
 * The claim pass: one commit takes new messages in, locks lanes (waiting ones
 * first, then the ones new messages open) and counts each head's attempt
 * before the engine is called.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Dispatcher, type DispatcherOptions } from '../../src/dispatch/dispatcher.js';
import { EngineResolver } from '../../src/dispatch/engine-resolver.js';
import { MediaPreparer } from '../../src/dispatch/media-preparer.js';
import type { Engine, EngineName, OutgoingMessage, SendResult } from '../../src/engines/engine.js';
import type { Store } from '../../src/store/database.js';
import { MediaSpool } from '../../src/store/media-spool.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { OutcomeStatements } from '../../src/store/outcomes.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

/** Records each send as it is called, with what the database said at that moment; sends wait for `open`. */
class GatedEngine implements Engine {
  readonly name = 'sandbox' as const;
  readonly capabilities = { audioCaption: false, linking: false, lanesPerInstance: Number.POSITIVE_INFINITY };
  readonly called: { id: string; status: string; attempts: number }[] = [];
  private gate: Promise<void> = Promise.resolve();
  open: () => void = () => {};

  constructor(private readonly store: Store) {}

  close(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(m: OutgoingMessage): Promise<SendResult> {
    // In the order of the calls; the row is read outside a transaction (on SQLite the read waits for one in progress to end).
    const call = { id: m.messageId, status: '', attempts: -1 };
    this.called.push(call);
    const row = await this.store.sql.get<{ status: string; attempts: number }>('SELECT status, attempts FROM messages WHERE id = ?', [m.messageId]);
    Object.assign(call, { status: row?.status ?? '', attempts: row?.attempts ?? -1 });
    await this.gate;
    return { providerId: `P-${m.messageId}` };
  }
}

let dir: string;
let store: Store;
let engine: GatedEngine;
let dispatcher: Dispatcher | undefined;
let instanceId: string;

beforeEach(async () => {
  dir = tempDir('connexa-claim-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
  engine = new GatedEngine(store);
});

afterEach(async () => {
  engine.open();
  await dispatcher?.stop();
  dispatcher = undefined;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startDispatcher(options: Partial<DispatcherOptions> = {}): Promise<void> {
  const spool = MediaSpool.open(store, { dialect: 'sqlite', file: path.join(dir, 'db.sqlite') });
  const media = new MediaPreparer(store, spool, { globalMaxBytes: 1 << 20, fetchTimeoutMs: 30_000, allowPrivateNetworks: true, maxConcurrentDownloads: 2 });
  dispatcher = new Dispatcher(
    new OutboxStatements(store),
    new OutcomeStatements(store, undefined, spool),
    new EngineResolver(store.db, new Map<EngineName, Engine>([['sandbox', engine]])),
    media,
    { nodeId: 'n', retryBaseMs: 10, retryMaxDelayMs: 100, maxAttempts: 3, pollIntervalMs: 20, batchSize: 16, maxActiveLanes: 16, laneBatch: 8, ...options },
    pino({ level: 'silent' }),
  );
  return dispatcher.start();
}

let clock = Date.now();
const accept = (ids: string[], recipient: (id: string) => string) =>
  new AcceptStatements(store).insert(
    ids.map((id) => ({
      id,
      instanceId,
      type: 'text' as const,
      recipient: recipient(id),
      text: id,
      acceptedAt: ++clock,
      media: undefined,
    })),
  );
const ownLane = (id: string) => `55449${String(id.charCodeAt(0)).padStart(4, '0')}${String(id.charCodeAt(1) || 0).padStart(3, '0')}`;
const sentCount = async () => (await store.sql.get<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE status = 'sent'`))?.n ?? 0;
const queued = () => store.sql.get<{ outbox: number; lanes: number }>('SELECT (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM lanes) AS lanes');

describe('claim pass', () => {
  it('counts the attempt and shows the message sending in a committed transaction before the engine is called', async () => {
    await accept(['a1'], ownLane);
    await startDispatcher();
    await waitFor(async () => ((await sentCount()) === 1 ? true : undefined), 5000, 'the send');
    expect(engine.called).toEqual([{ id: 'a1', status: 'sending', attempts: 1 }]);
    expect(await queued()).toEqual({ outbox: 0, lanes: 0 });
  });

  it('several messages opening one lane together go out in acceptance order, each counted before its send', async () => {
    await accept(['m1', 'm2', 'm3'], () => '554490000111');
    await startDispatcher();
    await waitFor(async () => ((await sentCount()) === 3 ? true : undefined), 5000, 'three sends');
    expect(engine.called.map((c) => [c.id, c.status, c.attempts])).toEqual([
      ['m1', 'sending', 1],
      ['m2', 'sending', 1],
      ['m3', 'sending', 1],
    ]);
    expect(await queued()).toEqual({ outbox: 0, lanes: 0 });
  });

  it('lanes go out oldest first: a new message waits behind lanes already waiting for room', async () => {
    engine.close();
    await startDispatcher({ maxActiveLanes: 2 });
    await accept(['x1'], ownLane);
    await waitFor(async () => (engine.called.length === 1 ? true : undefined), 5000, 'x1 in hand');
    await accept(['w1', 'w2', 'w3'], ownLane);
    await waitFor(async () => (engine.called.length === 2 ? true : undefined), 5000, 'w1 in hand');
    await accept(['n1'], ownLane);
    await new Promise((r) => setTimeout(r, 100)); // polls come and go: no room
    expect(engine.called.map((c) => c.id)).toEqual(['x1', 'w1']);
    engine.open();
    await waitFor(async () => ((await sentCount()) === 5 ? true : undefined), 5000, 'every send');
    expect(engine.called.map((c) => c.id)).toEqual(['x1', 'w1', 'w2', 'w3', 'n1']);
  });
});
