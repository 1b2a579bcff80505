/**
 * Lanes in the outbox: a lane given back with a run time (its head is backing
 * off) sleeps until exactly then, holding its later messages back; a lane
 * given back without one is claimable at once, and an emptied lane goes.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let outbox: OutboxStatements;

const message = (id: string, at: number): NewMessage => ({
  id,
  instanceId: 'A',
  type: 'text',
  recipient: '554499999999',
  text: 'hi',
  acceptedAt: at,
  media: undefined,
});
const lane = { instanceId: 'A', recipient: '554499999999' };
const claimed = async (now: number) => (await outbox.transaction((tx) => outbox.claimInTx(tx, 'n', now, 10, 10))).map((l) => l.messages.map((m) => m.row.id));

beforeEach(async () => {
  dir = tempDir('connexa-outbox-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  outbox = new OutboxStatements(store);
  await new AcceptStatements(store).insert([message('m1', 1_000), message('m2', 1_001)]);
  expect(await outbox.ingest(10)).toBe(2);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('lane release', () => {
  it('a lane released with a run time is not claimed before it, and is claimed from then on, head first', async () => {
    expect(await claimed(2_000)).toEqual([['m1', 'm2']]);
    await outbox.transaction((tx) => outbox.releaseInTx(tx, [{ lane, runAt: 5_000 }]));
    expect(await claimed(2_001)).toEqual([]);
    expect(await claimed(4_999)).toEqual([]);
    expect(await claimed(5_000)).toEqual([['m1', 'm2']]);
  });

  it('a locked lane is not claimed twice; released without a run time it is claimable at once', async () => {
    expect(await claimed(2_000)).toEqual([['m1', 'm2']]);
    expect(await claimed(9_000)).toEqual([]);
    await outbox.transaction((tx) => outbox.releaseInTx(tx, [{ lane, runAt: undefined }]));
    expect(await claimed(2_000)).toEqual([['m1', 'm2']]);
  });

  it('an emptied lane is removed when released', async () => {
    expect(await claimed(2_000)).toHaveLength(1);
    await store.db.deleteFrom('outbox').execute();
    await outbox.transaction((tx) => outbox.releaseInTx(tx, [{ lane, runAt: undefined }]));
    expect(await store.db.selectFrom('lanes').selectAll().execute()).toEqual([]);
  });
});
