/**
 * A status change and its webhook event are one write: when the event cannot
 * be stored, the status change (its timeline entry, the outbox row it
 * removes) is rolled back with it, so a message never moves on without its
 * customer being told, and is retried as a whole instead. The event insert is
 * made to fail by a trigger on the real table.
 */
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements, listEvents } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { OutcomeStatements, type Outcome } from '../../src/store/outcomes.js';
import { ReceiptStatements, type Receipt } from '../../src/store/receipts.js';
import { WebhookOutboxStatements } from '../../src/store/webhook-outbox.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let outcomes: OutcomeStatements;
let receipts: ReceiptStatements;
let instanceId: string;
let streamed = false;

async function snapshot(id: string): Promise<{ status: string; timeline: string[]; queued: boolean; webhooks: string[] }> {
  const row = await store.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  const queued = await store.db.selectFrom('outbox').select('message_id').where('message_id', '=', id).executeTakeFirst();
  const webhooks = await store.db.selectFrom('webhook_events').select('type').orderBy('id').execute();
  return {
    status: row.status,
    timeline: (await listEvents(store.db, id)).map((e) => e.kind),
    queued: queued !== undefined,
    webhooks: webhooks.map((w) => w.type),
  };
}

const breakWebhookOutbox = async () => {
  if (!onPostgres) {
    await sql`CREATE TRIGGER webhook_outbox_down BEFORE INSERT ON webhook_events BEGIN SELECT RAISE(ABORT, 'webhook outbox unavailable'); END`.execute(
      store.db,
    );
    return;
  }
  await sql`CREATE FUNCTION webhook_outbox_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'webhook outbox unavailable'; END $$ LANGUAGE plpgsql`.execute(
    store.db,
  );
  await sql`CREATE TRIGGER webhook_outbox_down BEFORE INSERT ON webhook_events FOR EACH ROW EXECUTE FUNCTION webhook_outbox_down()`.execute(store.db);
};

beforeEach(async () => {
  dir = tempDir('connexa-status-events-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
  streamed = false;
  await store.db
    .insertInto('webhook_endpoints')
    .values({
      instance_id: instanceId,
      url: 'https://example.com/hook',
      events: null,
      secret: Buffer.alloc(32),
      previous_secret: null,
      previous_until: null,
      enabled: 1,
      disabled_reason: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute();
  let n = 0;
  const webhooks = new WebhookOutboxStatements(() => String(++n), { wants: (id) => streamed && id === instanceId });
  outcomes = new OutcomeStatements(store, webhooks);
  receipts = new ReceiptStatements(store, webhooks);
  await new AcceptStatements(store).insert([{ id: 'm1', instanceId, type: 'text', recipient: '554499999999', text: 'hi', acceptedAt: 1000, media: undefined }]);
  expect(await new OutboxStatements(store).ingest(10)).toBe(1);
  await outcomes.begin([{ messageId: 'm1', attempt: 1, at: 1100 }]);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SENT: Outcome = { kind: 'sent', messageId: 'm1', providerId: 'P1', at: 1200 };

describe('a status change and its webhook event commit together', () => {
  it('with the webhook outbox working, each change has its event', async () => {
    await outcomes.record([SENT]);
    await receipts.apply([
      { messageId: 'm1', status: 'delivered', at: 1300 },
      { messageId: 'm1', status: 'read', at: 1400 },
    ]);
    expect(await snapshot('m1')).toEqual({
      status: 'read',
      timeline: ['sending', 'sent', 'delivered', 'read'],
      queued: false,
      webhooks: ['message.sent', 'message.delivered', 'message.read'],
    });
  });

  it.each<[string, Outcome]>([
    ['sent', SENT],
    ['failed', { kind: 'failed', messageId: 'm1', code: 'recipient_not_on_whatsapp', reason: 'not on WhatsApp', at: 1200 }],
  ])('an attempt that came to %s is rolled back when its event cannot be stored', async (_name, outcome) => {
    await breakWebhookOutbox();
    await expect(outcomes.record([outcome])).rejects.toThrow(/webhook outbox unavailable/);
    expect(await snapshot('m1')).toEqual({ status: 'sending', timeline: ['sending'], queued: true, webhooks: [] });
  });

  it.each<[string, Receipt]>([
    ['delivered', { messageId: 'm1', status: 'delivered', at: 1300 }],
    ['read', { messageId: 'm1', status: 'read', at: 1300 }],
    ['failed', { messageId: 'm1', status: 'failed', at: 1300, code: 'provider_failed', reason: 'no' }],
  ])('a %s receipt is rolled back when its event cannot be stored', async (_name, receipt) => {
    await outcomes.record([SENT]);
    await breakWebhookOutbox();
    await expect(receipts.apply([receipt])).rejects.toThrow(/webhook outbox unavailable/);
    expect(await snapshot('m1')).toEqual({ status: 'sent', timeline: ['sending', 'sent'], queued: false, webhooks: ['message.sent'] });
  });

  it('a receipt that overtakes the send is rolled back whole (the implied sent step too)', async () => {
    await breakWebhookOutbox();
    await expect(receipts.apply([{ messageId: 'm1', status: 'delivered', at: 1300 }])).rejects.toThrow(/webhook outbox unavailable/);
    expect(await snapshot('m1')).toEqual({ status: 'sending', timeline: ['sending'], queued: true, webhooks: [] });
  });
});

describe('the event of a status change', () => {
  const bodies = async (table: 'webhook_events' | 'event_log') =>
    (await store.db.selectFrom(table).select('body').orderBy('id').execute()).map((r) => JSON.parse(r.body) as { type: string; data: unknown });

  it('tells the message, and why it failed (the error is null until then)', async () => {
    await outcomes.record([SENT]);
    await receipts.apply([{ messageId: 'm1', status: 'failed', at: 1300, code: 'provider_failed', reason: 'WhatsApp refused it' }]);
    expect((await bodies('webhook_events')).map((b) => [b.type, b.data])).toEqual([
      ['message.sent', { message_id: 'm1', phone: '554499999999', type: 'text', status: 'sent', provider_message_id: 'P1', error: null }],
      [
        'message.failed',
        {
          message_id: 'm1',
          phone: '554499999999',
          type: 'text',
          status: 'failed',
          provider_message_id: 'P1',
          error: { code: 'provider_failed', message: 'WhatsApp refused it' },
        },
      ],
    ]);
  });

  it('goes to the event log only while the instance is streamed, with the body the webhook gets', async () => {
    await outcomes.record([SENT]);
    streamed = true;
    await receipts.apply([{ messageId: 'm1', status: 'delivered', at: 1300 }]);
    const hooked = await bodies('webhook_events');
    expect(hooked.map((b) => b.type)).toEqual(['message.sent', 'message.delivered']);
    expect(await bodies('event_log')).toEqual([hooked[1]]);
  });
});
