/**
 * The status rules as the database enforces them: forward only, retries stay
 * `sending`, receipts idempotent and allowed to overtake the send, media bytes
 * dropped once a message leaves the queue. Real SQLite, a fresh file per test.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements, listEvents } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { OutcomeStatements } from '../../src/store/outcomes.js';
import { ReceiptStatements } from '../../src/store/receipts.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let outcomes: OutcomeStatements;
let receipts: ReceiptStatements;

const message = (id: string, withMedia = false): NewMessage => ({
  id,
  instanceId: 'inst',
  type: withMedia ? 'image' : 'text',
  recipient: '554499999999',
  text: 'hi',
  acceptedAt: 1000,
  media: withMedia
    ? {
        kind: 'image',
        source: { kind: 'inline' },
        bytes: Buffer.from('png'),
        requestedFilename: undefined,
        requestedMime: undefined,
        info: { mime: 'image/png', size: 3, sha256: 'x', filename: undefined, voiceNote: false },
      }
    : undefined,
});

async function status(id: string): Promise<{ status: string; events: string[]; sent_at: number | null; provider_id: string | null }> {
  const row = await store.db.selectFrom('messages').select(['status', 'sent_at', 'provider_id']).where('id', '=', id).executeTakeFirstOrThrow();
  return { ...row, events: (await listEvents(store.db, id)).map((e) => e.kind) };
}

beforeEach(async () => {
  dir = tempDir('connexa-store-');
  store = await openTestStore(dir);
  const m = await migrate(store);
  expect(m.ok).toBe(true);
  outcomes = new OutcomeStatements(store);
  receipts = new ReceiptStatements(store);
  await new AcceptStatements(store).insert([message('m1', true), message('m2')]);
  expect(await new OutboxStatements(store).ingest(10)).toBe(2);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('status machine in SQL', () => {
  it('a retry keeps the message sending; the send then completes it and drops its media', async () => {
    await outcomes.begin([{ messageId: 'm1', attempt: 1, at: 1100 }]);
    await outcomes.record([{ kind: 'retry', messageId: 'm1', code: 'x', reason: 'flaky', at: 1200, runAt: 2000 }]);
    expect((await status('m1')).status).toBe('sending');
    await outcomes.begin([{ messageId: 'm1', attempt: 2, at: 2000 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'm1', providerId: 'P1', at: 2100 }]);
    expect(await status('m1')).toMatchObject({ status: 'sent', provider_id: 'P1', events: ['sending', 'retry_scheduled', 'sending', 'sent'] });
    expect(await store.db.selectFrom('media').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('outbox').select('message_id').execute()).toEqual([{ message_id: 'm2' }]);
  });

  it('receipts never move status back, and repeats change nothing', async () => {
    await outcomes.begin([{ messageId: 'm2', attempt: 1, at: 1100 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'm2', providerId: 'P2', at: 1200 }]);
    await receipts.apply([{ messageId: 'm2', status: 'read', at: 1300 }]);
    await receipts.apply([
      { messageId: 'm2', status: 'delivered', at: 1400 },
      { messageId: 'm2', status: 'read', at: 1500 },
      { messageId: 'm2', status: 'failed', at: 1600, code: 'late', reason: 'late failure' },
    ]);
    expect(await status('m2')).toMatchObject({ status: 'read', events: ['sending', 'sent', 'read'] });
  });

  it('a receipt that overtakes the send fills in sent first; the late send record adds no second sent', async () => {
    await outcomes.begin([{ messageId: 'm2', attempt: 1, at: 1100 }]);
    await receipts.apply([{ messageId: 'm2', status: 'delivered', at: 1150 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'm2', providerId: 'P2', at: 1200 }]);
    expect(await status('m2')).toMatchObject({ status: 'delivered', sent_at: 1150, provider_id: 'P2', events: ['sending', 'sent', 'delivered'] });
  });

  it('a failure receipt without a code or reason fails the message as provider_failed, with a reason a person can read', async () => {
    await outcomes.begin([{ messageId: 'm2', attempt: 1, at: 1100 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'm2', providerId: 'P2', at: 1200 }]);
    await receipts.apply([{ messageId: 'm2', status: 'failed', at: 1300 }]);
    const row = await store.db.selectFrom('messages').select(['status', 'error_code', 'error_message']).where('id', '=', 'm2').executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'failed',
      error_code: 'provider_failed',
      error_message: 'The provider reported that the message could not be delivered',
    });
  });

  it('a provider failure after sent fails the message; failed is final', async () => {
    await outcomes.begin([{ messageId: 'm2', attempt: 1, at: 1100 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'm2', providerId: 'P2', at: 1200 }]);
    await receipts.apply([{ messageId: 'm2', status: 'failed', at: 1300, code: 'recipient_blocked', reason: 'blocked' }]);
    await receipts.apply([{ messageId: 'm2', status: 'read', at: 1400 }]);
    expect(await status('m2')).toMatchObject({ status: 'failed', events: ['sending', 'sent', 'failed'] });
  });

  it('ingest takes each accepted message once, across calls', async () => {
    const outbox = new OutboxStatements(store);
    expect(await outbox.ingest(10)).toBe(0);
    await new AcceptStatements(store).insert([message('m3')]);
    expect(await outbox.ingest(10)).toBe(1);
    expect(await outbox.ingest(10)).toBe(0);
  });
});

describe('sent WhatsApp messages kept for retry requests', () => {
  it('are found by their WhatsApp id and pruned by age', async () => {
    const { WhatsAppStatements } = await import('../../src/store/whatsapp.js');
    const { AdminService } = await import('../../src/admin/service.js');
    const { proto } = await import('baileys');
    const admin = new AdminService(store.db, ['baileys']);
    const inst = (await admin.createInstance((await admin.createUser('u')).user_id, 'wa', 'baileys')).instance_id;
    const wa = new WhatsAppStatements(store);
    const jid = '5544999999999@s.whatsapp.net';
    await wa.rememberSent(inst, '3EB0AAA', jid, proto.Message.encode({ conversation: 'kept' }).finish(), 1000);
    await wa.rememberSent(inst, '3EB0BBB', jid, proto.Message.encode({ conversation: 'new' }).finish(), 5000);
    expect(proto.Message.decode((await wa.sentMessage(inst, '3EB0AAA', jid)) ?? Buffer.alloc(0)).conversation).toBe('kept');
    // Only for the instance that sent it, and only to the chat it went to.
    expect(await wa.sentMessage('another-instance', '3EB0AAA', jid)).toBeUndefined();
    expect(await wa.sentMessage(inst, '3EB0AAA', '5511000000000@s.whatsapp.net')).toBeUndefined();
    expect(await wa.pruneSent(2000)).toBe(1);
    expect(await wa.sentMessage(inst, '3EB0AAA', jid)).toBeUndefined();
    expect(await wa.sentMessage(inst, '3EB0BBB', jid)).toBeDefined();
  });
});
