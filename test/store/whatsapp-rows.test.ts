/**
 * What the Baileys engine reads back from the store: a sent message only for
 * the chat it was sent to (a retry request from another phone number gets
 * nothing), the state saved with its restriction, and the instances to
 * reconnect at boot (a stored session, and a state nobody must act on first).
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import type { InboundMessage } from '../../src/domain/inbound.js';
import type { Store } from '../../src/store/database.js';
import { WhatsAppStatements } from '../../src/store/whatsapp.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let wa: WhatsAppStatements;
let admin: AdminService;
let userId: string;

beforeEach(async () => {
  dir = tempDir('connexa-wa-rows-');
  store = await openTestStore(dir);
  admin = new AdminService(store.db, ['sandbox', 'baileys']);
  userId = (await admin.createUser('u')).user_id;
  wa = new WhatsAppStatements(store);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const instance = async (engine: 'baileys' | 'sandbox', name: string) => (await admin.createInstance(userId, name, engine)).instance_id;

describe('a sent message kept for retry requests', () => {
  it('is given to its own chat (each device of the number, or a @lid chat), never to another number', async () => {
    const id = await instance('baileys', 'i');
    const proto = Uint8Array.from([1, 2, 3]);
    await wa.rememberSent(id, '3EB0AA', '554499990000@s.whatsapp.net', proto, 1_000);
    const asked = async (jid?: string) => (await wa.sentMessage(id, '3EB0AA', jid))?.toString('hex');
    expect(await asked()).toBe('010203');
    expect(await asked('554499990000@s.whatsapp.net')).toBe('010203');
    expect(await asked('554499990000:7@s.whatsapp.net')).toBe('010203');
    expect(await asked('123456789@lid')).toBe('010203');
    expect(await asked('554488887777@s.whatsapp.net')).toBeUndefined();
    expect(await wa.sentMessage(id, 'unknown', '554499990000@s.whatsapp.net')).toBeUndefined();
  });
});

describe('received messages', () => {
  it('page newest first, by the cursor of the last row; a repeat of a WhatsApp id is kept once', async () => {
    const id = await instance('baileys', 'i');
    const received = (n: number): InboundMessage => ({
      providerId: `IN${n}`,
      fromJid: '554499990000@s.whatsapp.net',
      phone: '554499990000',
      senderJid: '554499990000@s.whatsapp.net',
      group: undefined,
      pushName: 'Ana',
      type: 'text',
      text: `hello ${n}`,
      mediaMime: undefined,
      mediaSize: undefined,
      mediaFilename: undefined,
      sentAt: n,
      raw: undefined,
    });
    await wa.saveInbound(id, [received(1), received(2), received(3), received(2)], 10);
    const first = await wa.listInbound(id, undefined, 2);
    expect(first.map((r) => r.text)).toEqual(['hello 3', 'hello 2']);
    expect((await wa.listInbound(id, first[1]?.id, 2)).map((r) => r.text)).toEqual(['hello 1']);
  });
});

describe('the stored state', () => {
  it('carries the restriction only while there is one; a deleted instance has none', async () => {
    const id = await instance('baileys', 'i');
    await wa.saveState(id, { state: 'connected', since: 1_000, phone: '554499990000' });
    expect(await wa.storedState(id)).toEqual({ state: 'connected', reason: null, since: 1_000, phone: '554499990000' });
    await wa.saveRestriction(id, 50_000, 2_000);
    expect(await wa.storedState(id)).toEqual({ state: 'connected', reason: null, since: 1_000, phone: '554499990000', restrictedUntil: 50_000 });
    expect(await wa.storedState('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('the instances reconnected at boot: Baileys ones with a session, not banned, failed or logged out', async () => {
    const ids: Record<string, string> = {};
    for (const name of ['connected', 'disconnected', 'banned', 'failed', 'logged_out', 'no-session']) ids[name] = await instance('baileys', name);
    const sandbox = await instance('sandbox', 'sandbox');
    for (const [name, id] of Object.entries(ids)) {
      if (name === 'no-session') continue;
      await store.db
        .insertInto('wa_creds')
        .values({ instance_id: id, sealed: Buffer.from('x'), updated_at: 1 })
        .execute();
      const state = name === 'connected' || name === 'disconnected' ? name : (name as 'banned' | 'failed' | 'logged_out');
      await wa.saveState(id, { state, since: 1 });
    }
    await store.db
      .insertInto('wa_creds')
      .values({ instance_id: sandbox, sealed: Buffer.from('x'), updated_at: 1 })
      .execute();
    expect((await wa.linkedInstances()).sort()).toEqual([ids['connected'], ids['disconnected']].sort());
  });
});
