/**
 * Cloud API statuses on both databases: a status that overtakes the record of
 * its send (Meta's webhook can beat the answer to the send) waits, and is
 * handed over when the send is recorded; each (wamid, status) is kept once;
 * the statuses of a message's later part (audio's text) do not move it.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import type { Store } from '../../src/store/database.js';
import { CloudStatements } from '../../src/store/cloud.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let rows: CloudStatements;
let instanceId: string;

beforeEach(async () => {
  dir = tempDir('connexa-cloud-statuses-');
  store = await openTestStore(dir);
  rows = new CloudStatements(store);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const status = (wamid: string, name: string, at: number) => ({ wamid, status: name, at, error_code: null, error_reason: null });

describe('Cloud API statuses', () => {
  it('one that overtakes its send waits and is handed over when the send is recorded', async () => {
    expect(await rows.recordStatuses(instanceId, [status('wamid.A', 'sent', 10), status('wamid.A', 'delivered', 11)], 12)).toEqual([]);
    const handed = await rows.recordSend(instanceId, [{ messageId: 'm1', wamid: 'wamid.A', part: 0, waId: '5544' }], 13);
    expect(handed.map((s) => [s.message_id, s.status, s.at]).sort()).toEqual([
      ['m1', 'delivered', 11],
      ['m1', 'sent', 10],
    ]);
    // Later statuses are matched at once.
    const read = await rows.recordStatuses(instanceId, [status('wamid.A', 'read', 14)], 15);
    expect(read.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
  });

  it('keeps each wamid and status once, the first report of it', async () => {
    await rows.recordSend(instanceId, [{ messageId: 'm1', wamid: 'wamid.B', part: 0, waId: null }], 1);
    await rows.recordStatuses(instanceId, [status('wamid.B', 'read', 20)], 21);
    const again = await rows.recordStatuses(instanceId, [status('wamid.B', 'read', 30), status('wamid.B', 'read', 40)], 41);
    expect(again).toEqual([expect.objectContaining({ status: 'read', at: 20 })]);
  });

  it('the statuses of a later part do not move the message; the parts sent are remembered for a retry', async () => {
    await rows.recordSend(instanceId, [{ messageId: 'm2', wamid: 'wamid.audio', part: 0, waId: null }], 1);
    await rows.recordSend(instanceId, [{ messageId: 'm2', wamid: 'wamid.text', part: 1, waId: null }], 2);
    expect(await rows.recordStatuses(instanceId, [status('wamid.text', 'read', 3)], 4)).toEqual([]);
    expect([...(await rows.sentParts(instanceId, 'm2'))]).toEqual([
      [0, 'wamid.audio'],
      [1, 'wamid.text'],
    ]);
  });

  it("the message shows its first part's wamid from the moment Graph answered it; a later part's never", async () => {
    await new AcceptStatements(store).insert([{ id: 'm3', instanceId, type: 'text', recipient: '554499999999', text: 'hi', acceptedAt: 1, media: undefined }]);
    const providerId = async () => (await store.db.selectFrom('messages').select('provider_id').where('id', '=', 'm3').executeTakeFirstOrThrow()).provider_id;
    await rows.recordStatuses(instanceId, [status('wamid.second', 'read', 2)], 2);
    expect(await rows.recordSend(instanceId, [{ messageId: 'm3', wamid: 'wamid.second', part: 1, waId: null }], 2)).toEqual([]);
    expect(await providerId()).toBeNull();
    await rows.recordSend(instanceId, [{ messageId: 'm3', wamid: 'wamid.first', part: 0, waId: null }], 3);
    expect(await providerId()).toBe('wamid.first');
  });

  it("reads again the statuses kept for a message's first part", async () => {
    await rows.recordSend(instanceId, [{ messageId: 'm4', wamid: 'wamid.C', part: 0, waId: null }], 1);
    await rows.recordStatuses(instanceId, [status('wamid.C', 'delivered', 5)], 6);
    expect(await rows.statusesOf(instanceId, 'wamid.C')).toEqual([
      { wamid: 'wamid.C', status: 'delivered', at: 5, error_code: null, error_reason: null, message_id: 'm4' },
    ]);
    expect(await rows.statusesOf(instanceId, 'wamid.unknown')).toEqual([]);
  });

  it('forgets statuses and sends older than a time, and counts both', async () => {
    await rows.recordSend(instanceId, [{ messageId: 'm5', wamid: 'wamid.old', part: 0, waId: null }], 100);
    await rows.recordStatuses(instanceId, [status('wamid.old', 'sent', 101), status('wamid.stranger', 'sent', 101)], 101);
    await rows.recordSend(instanceId, [{ messageId: 'm6', wamid: 'wamid.new', part: 0, waId: null }], 300);
    await rows.recordStatuses(instanceId, [status('wamid.new', 'sent', 301)], 301);
    expect(await rows.prune(200)).toBe(3);
    expect([...(await rows.sentParts(instanceId, 'm5'))]).toEqual([]);
    expect(await rows.statusesOf(instanceId, 'wamid.new')).toEqual([expect.objectContaining({ status: 'sent', message_id: 'm6' })]);
    expect(await rows.prune(200)).toBe(0);
  });
});
