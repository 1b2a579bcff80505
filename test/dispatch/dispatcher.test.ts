/** The dispatcher against a real store, with an engine that records what it is handed. */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { CodedError } from '../../src/domain/errors.js';
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
import { startFixture, type Fixture } from '../media/http-fixture.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

class RecordingEngine implements Engine {
  readonly name = 'sandbox' as const;
  readonly capabilities = { audioCaption: false, linking: false, lanesPerInstance: Number.POSITIVE_INFINITY };
  readonly sent: OutgoingMessage[] = [];
  /** When each send was called (epoch ms), per message. */
  readonly calls = new Map<string, number[]>();
  /** Messages whose first send fails with a transient error. */
  readonly failFirst = new Set<string>();
  /** Instances that cannot send now; `connect` makes one ready and says so. */
  readonly offline = new Set<string>();
  /** Messages during whose send the instance's number drops. */
  readonly dropDuring = new Set<string>();
  private readonly readyListeners: ((instanceId: string) => void)[] = [];
  readonly readiness = {
    canSend: (instanceId: string) => !this.offline.has(instanceId),
    onReady: (listener: (instanceId: string) => void) => {
      this.readyListeners.push(listener);
    },
  };
  connect(instanceId: string): void {
    this.offline.delete(instanceId);
    for (const listener of this.readyListeners) listener(instanceId);
  }
  /** Sends of this instance hang until released (a slow, paced number). */
  slowInstance: string | undefined;
  release: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(m: OutgoingMessage): Promise<SendResult> {
    const calls = [...(this.calls.get(m.messageId) ?? []), Date.now()];
    this.calls.set(m.messageId, calls);
    if (calls.length === 1 && this.failFirst.has(m.messageId)) throw new CodedError('provider_unavailable', 'Try again later', true);
    if (this.dropDuring.delete(m.messageId)) {
      this.offline.add(m.instanceId);
      throw new CodedError('instance_not_connected', 'The number disconnected', true);
    }
    if (m.instanceId === this.slowInstance) await this.gate;
    this.sent.push(m);
    return { providerId: `P-${m.messageId}` };
  }
}

let dir: string;
let store: Store;
let engine: RecordingEngine;
let dispatcher: Dispatcher;
let instanceId: string;
let fixture: Fixture | undefined;
let observed: string[] = [];

/** A dispatcher on this test's store and engine; `options` override the defaults below. */
function build(options: Partial<DispatcherOptions>): Dispatcher {
  const spool = MediaSpool.open(store, { dialect: 'sqlite', file: path.join(dir, 'db.sqlite') });
  const media = new MediaPreparer(store, spool, { globalMaxBytes: 1 << 20, fetchTimeoutMs: 30_000, allowPrivateNetworks: true, maxConcurrentDownloads: 2 });
  return new Dispatcher(
    new OutboxStatements(store),
    new OutcomeStatements(store, undefined, spool),
    new EngineResolver(store.db, new Map<EngineName, Engine>([['sandbox', engine]])),
    media,
    {
      nodeId: 'n',
      retryBaseMs: 10,
      retryMaxDelayMs: 100,
      maxAttempts: 3,
      pollIntervalMs: 20,
      batchSize: 16,
      maxActiveLanes: 16,
      laneBatch: 8,
      onOutcome: (o, e) => observed.push(`${o.messageId}:${o.kind}:${e ?? '-'}`),
      ...options,
    },
    pino({ level: 'silent' }),
  );
}

beforeEach(async () => {
  observed = [];
  dir = tempDir('connexa-dispatch-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  const user = await admin.createUser('u');
  instanceId = (await admin.createInstance(user.user_id, 'i', 'sandbox')).instance_id;
  engine = new RecordingEngine();
  dispatcher = build({});
});

afterEach(async () => {
  await dispatcher.stop();
  await fixture?.close();
  fixture = undefined;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const accept = (id: string, url?: string, recipient = '554499999999', instance = instanceId) =>
  new AcceptStatements(store).insert([
    {
      id,
      instanceId: instance,
      type: url === undefined ? 'text' : 'image',
      recipient,
      text: 'hi',
      acceptedAt: Date.now(),
      media:
        url === undefined
          ? undefined
          : { kind: 'image', source: { kind: 'url', url }, bytes: undefined, info: undefined, requestedFilename: undefined, requestedMime: undefined },
    },
  ]);

const timeline = (id: string) => store.db.selectFrom('message_events').select(['kind', 'at', 'detail']).where('message_id', '=', id).orderBy('id').execute();

const outboxAttempts = async (id: string) => (await store.db.selectFrom('outbox').select('attempts').where('message_id', '=', id).executeTakeFirst())?.attempts;

const row = (id: string) => store.db.selectFrom('messages').select(['status', 'error_code', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();

describe('dispatcher', () => {
  it('a message whose attempts never completed (the process died each time) fails instead of blocking its lane', async () => {
    await accept('stuck');
    await accept('behind');
    await new OutboxStatements(store).ingest(10);
    // Three attempts counted, none recorded: what repeated crashes during the send leave behind.
    await store.db.updateTable('outbox').set({ attempts: 3 }).where('message_id', '=', 'stuck').execute();
    await dispatcher.start();
    await waitFor(async () => ((await row('behind')).status === 'sent' ? true : undefined), 5000, 'the next message to go');
    expect(await row('stuck')).toMatchObject({ status: 'failed', error_code: 'attempts_exhausted' });
    // The reason says how many attempts were made and that none completed.
    const reason = await store.db.selectFrom('messages').select('error_message').where('id', '=', 'stuck').executeTakeFirstOrThrow();
    expect(reason.error_message).toBe('Gave up after 3 attempts that did not complete');
    expect(engine.sent.map((m) => m.messageId)).toEqual(['behind']);
    // Every attempt's outcome is reported, also one that never reached an engine.
    expect(observed).toEqual(expect.arrayContaining(['stuck:failed:-', 'behind:sent:sandbox']));
  });

  it('a slow, paced instance works only its share of lanes; another instance is not held up', async () => {
    const slow = { ...engine.capabilities, lanesPerInstance: 1 };
    Object.defineProperty(engine, 'capabilities', { value: slow });
    const admin = new AdminService(store.db, ['sandbox']);
    const other = (await admin.createInstance((await admin.createUser('v')).user_id, 'j', 'sandbox')).instance_id;
    engine.slowInstance = instanceId;
    for (let i = 0; i < 20; i++) await accept(`slow-${i}`, undefined, `55449000${String(i).padStart(4, '0')}`);
    await accept('other-1', undefined, '554499999999', other);
    await dispatcher.start();
    // With 16 lane places and 20 hanging recipients, the other instance would starve without the share.
    await waitFor(async () => ((await row('other-1')).status === 'sent' ? true : undefined), 5000, 'the other instance to send');
    expect(engine.sent.map((m) => m.messageId)).toEqual(['other-1']);
    engine.release();
    await waitFor(async () => (engine.sent.length === 21 ? true : undefined), 10_000, 'the slow instance to catch up');
  });

  it('stop cancels a media download in progress and leaves the message queued for the next start', async () => {
    fixture = await startFixture((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    });
    await accept('slow', `${fixture.origin}/drip.png`);
    await dispatcher.start();
    await waitFor(async () => (fixture !== undefined && fixture.connections > 0 ? true : undefined), 5000, 'the download to start');
    const started = Date.now();
    await dispatcher.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(engine.sent).toEqual([]);
    expect((await row('slow')).status).toBe('sending');
    expect(await store.db.selectFrom('outbox').select('message_id').execute()).toEqual([{ message_id: 'slow' }]);
  });

  it('after a transient failure the next attempt waits for its backoff: not before the scheduled time', async () => {
    const base = 400;
    await dispatcher.stop();
    dispatcher = build({ retryBaseMs: base, retryMaxDelayMs: 10_000 });
    engine.failFirst.add('flaky');
    await accept('flaky');
    await dispatcher.start();
    await waitFor(async () => ((await row('flaky')).status === 'sent' ? true : undefined), 5000, 'the retry to be sent');

    const events = await timeline('flaky');
    expect(events.map((e) => e.kind)).toEqual(['sending', 'retry_scheduled', 'sending', 'sent']);
    const [, failedAt, retriedAt] = events;
    const scheduled = Date.parse(/next attempt at (\S+)\)/.exec(failedAt?.detail ?? '')?.[1] ?? '');
    // The first retry waits base·[0.5, 1): the schedule, the lane and the second call all keep to it.
    expect(scheduled - (failedAt?.at ?? 0)).toBeGreaterThanOrEqual(base / 2);
    expect(scheduled - (failedAt?.at ?? 0)).toBeLessThanOrEqual(base);
    expect(retriedAt?.at).toBeGreaterThanOrEqual(scheduled);
    const [first, second] = engine.calls.get('flaky') ?? [];
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(base / 2);
    expect(second).toBeGreaterThanOrEqual(scheduled);
    await expect(row('flaky')).resolves.toMatchObject({ attempts: 2 });
  });

  it('an instance that cannot send: its messages wait queued with no attempt, unclaimed, then leave in order once it can', async () => {
    engine.offline.add(instanceId);
    await accept('w1');
    await accept('w2');
    await dispatcher.start();
    // Many polls go by: the lane is not worked while the instance waits.
    await new Promise((r) => setTimeout(r, 400));
    expect(await row('w1')).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await row('w2')).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await outboxAttempts('w1')).toBe(0);
    expect(engine.calls.size).toBe(0);
    expect((await timeline('w1')).map((e) => e.kind)).toEqual(['waiting']);
    expect(observed).toEqual([]);

    engine.connect(instanceId);
    await waitFor(async () => ((await row('w2')).status === 'sent' ? true : undefined), 5000, 'the waiting messages to go');
    expect(engine.sent.map((m) => m.messageId)).toEqual(['w1', 'w2']);
    expect(await row('w1')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a number that drops during a send gives the attempt back; the message waits and goes once it is back', async () => {
    engine.dropDuring.add('d1');
    await accept('d1');
    await dispatcher.start();
    await waitFor(async () => (engine.offline.has(instanceId) && (await outboxAttempts('d1')) === 0 ? true : undefined), 5000, 'the attempt to be given back');
    // Queued again, not left `sending`: it is waiting, not in flight.
    expect(await row('d1')).toMatchObject({ status: 'queued', attempts: 0 });
    engine.connect(instanceId);
    await waitFor(async () => ((await row('d1')).status === 'sent' ? true : undefined), 5000, 'the message to go');
    expect(await row('d1')).toMatchObject({ attempts: 1 });
    expect((await timeline('d1')).map((e) => e.kind)).toEqual(['sending', 'waiting', 'sending', 'sent']);
  });

  it('a message still waiting past the queue time to live fails expired; its lane goes; a newer one keeps waiting', async () => {
    await dispatcher.stop();
    dispatcher = build({ queueTtlMs: 60_000 });
    engine.offline.add(instanceId);
    const statements = new AcceptStatements(store);
    const at = Date.now();
    await statements.insert([{ id: 'old', instanceId, type: 'text', recipient: '554411111111', text: 'hi', acceptedAt: at - 61_000, media: undefined }]);
    await statements.insert([{ id: 'new', instanceId, type: 'text', recipient: '554422222222', text: 'hi', acceptedAt: at - 30_000, media: undefined }]);
    await dispatcher.start();
    await waitFor(async () => ((await row('old')).status === 'failed' ? true : undefined), 5000, 'the old message to expire');
    expect(await row('old')).toMatchObject({ error_code: 'expired', attempts: 0 });
    expect(await row('new')).toMatchObject({ status: 'queued' });
    const lanes = await store.db.selectFrom('lanes').select('recipient').execute();
    expect(lanes).toEqual([{ recipient: '554422222222' }]);
    expect(engine.calls.size).toBe(0);
  });
});
