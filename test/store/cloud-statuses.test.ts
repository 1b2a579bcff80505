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
});
