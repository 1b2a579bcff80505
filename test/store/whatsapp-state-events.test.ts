/**
 * A linked number's state changes and their webhook events, written in one
 * transaction: one event per change of state (each new QR code is a change of
 * its own), with the data the contract lists for each; a restriction's start,
 * move and end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import type { SessionSnapshot } from '../../src/domain/session.js';
import type { Store } from '../../src/store/database.js';
import { WebhookEndpointStatements } from '../../src/store/webhook-endpoints.js';
import { WebhookOutboxStatements } from '../../src/store/webhook-outbox.js';
import { WhatsAppStatements } from '../../src/store/whatsapp.js';
import { generateWebhookSecret } from '../../src/webhooks/signature.js';
import { NOT_STREAMED } from '../helpers/event-log.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let wa: WhatsAppStatements;
let instanceId: string;

beforeEach(async () => {
  dir = tempDir('connexa-wa-state-');
  store = await openTestStore(dir);
  const admin = new AdminService(store.db, ['sandbox', 'baileys']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'baileys')).instance_id;
  await new WebhookEndpointStatements(store, new Sealer(randomBytes(32))).put(instanceId, 'https://hooks.example.com/x', null, generateWebhookSecret(), 1);
  let n = 0;
  wa = new WhatsAppStatements(store, new WebhookOutboxStatements(() => String(++n), NOT_STREAMED));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const events = async () =>
  (await store.db.selectFrom('webhook_events').select('body').orderBy('id').execute()).map((r) => {
    const body = JSON.parse(r.body) as { type: string; created_at: string; data: unknown };
    return [body.type, body.data, Date.parse(body.created_at)];
  });
const stored = () =>
  store.db.selectFrom('instances').select(['state', 'state_reason', 'state_since', 'phone']).where('id', '=', instanceId).executeTakeFirstOrThrow();

describe('the state of a linked number', () => {
  it('each QR code is an event; connected once, with the number; the number is kept when it is not reported again', async () => {
    const qr = (code: string, since: number): SessionSnapshot => ({ state: 'qr', since, qr: { code, expiresAt: since + 60_000 } });
    await wa.saveState(instanceId, qr('2@first', 1_000));
    await wa.saveState(instanceId, qr('2@second', 21_000));
    await wa.saveState(instanceId, { state: 'connected', since: 30_000, phone: '554499990000' });
    await wa.saveState(instanceId, { state: 'connected', since: 31_000 });
    expect(await events()).toEqual([
      ['instance.qr', { qr: '2@first', expires_at: new Date(61_000).toISOString() }, 1_000],
      ['instance.qr', { qr: '2@second', expires_at: new Date(81_000).toISOString() }, 21_000],
      ['instance.connected', { phone: '554499990000' }, 30_000],
    ]);
    expect(await stored()).toEqual({ state: 'connected', state_reason: null, state_since: 31_000, phone: '554499990000' });
  });

  it('a QR state without a code is stored and tells nobody', async () => {
    await wa.saveState(instanceId, { state: 'qr', since: 1_000 });
    expect(await events()).toEqual([]);
    expect((await stored()).state).toBe('qr');
  });

  it('logged out, disconnected, banned and failed: each an event with its reason', async () => {
    await wa.saveState(instanceId, { state: 'connected', since: 1_000, phone: '554499990000' });
    await wa.saveState(instanceId, { state: 'disconnected', since: 2_000, reason: 'connection_lost' });
    await wa.saveState(instanceId, { state: 'disconnected', since: 2_500, reason: 'connection_lost' });
    await wa.saveState(instanceId, { state: 'banned', since: 3_000, reason: 'account_banned' });
    await wa.saveState(instanceId, { state: 'failed', since: 4_000 });
    await wa.saveState(instanceId, { state: 'logged_out', since: 5_000, reason: 'logged_out_on_phone' });
    await wa.saveState(instanceId, { state: 'logged_out', since: 6_000 });
    await wa.saveState(instanceId, { state: 'connecting', since: 7_000 });
    expect(await events()).toEqual([
      ['instance.connected', { phone: '554499990000' }, 1_000],
      ['instance.disconnected', { state: 'disconnected', reason: 'connection_lost' }, 2_000],
      ['instance.disconnected', { state: 'banned', reason: 'account_banned' }, 3_000],
      ['instance.disconnected', { state: 'failed', reason: null }, 4_000],
      ['instance.logged_out', { reason: 'logged_out_on_phone' }, 5_000],
    ]);
    expect(await stored()).toEqual({ state: 'connecting', state_reason: null, state_since: 7_000, phone: '554499990000' });
  });
});

describe('a restriction from new chats', () => {
  it('its start and each move are instance.restricted, its end instance.unrestricted; the same end again tells nobody', async () => {
    await wa.saveRestriction(instanceId, 90_000, 1_000);
    await wa.saveRestriction(instanceId, 90_000, 2_000);
    expect(await wa.storedRestriction(instanceId)).toBe(90_000);
    await wa.saveRestriction(instanceId, 120_000, 3_000);
    await wa.saveRestriction(instanceId, undefined, 4_000);
    await wa.saveRestriction(instanceId, undefined, 5_000);
    expect(await wa.storedRestriction(instanceId)).toBeUndefined();
    expect(await events()).toEqual([
      ['instance.restricted', { until: new Date(90_000).toISOString() }, 1_000],
      ['instance.restricted', { until: new Date(120_000).toISOString() }, 3_000],
      ['instance.unrestricted', {}, 4_000],
    ]);
  });
});
