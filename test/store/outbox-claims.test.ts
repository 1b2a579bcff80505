/**
 * How work is handed out, on both databases: an ingest that opens a lane
 * hands it over at once with at most `perLane` of its messages, in order,
 * within `room` lanes and only for admitted instances; a claim leaves out the
 * instances it is told are busy; taking the next messages of a lane in hand
 * renews its lock (a lane worked slowly is never taken as abandoned).
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let outbox: OutboxStatements;
let at = 1_000;

const message = (id: string, instanceId: string, recipient: string): NewMessage => ({
  id,
  instanceId,
  type: 'text',
  recipient,
  text: id,
  acceptedAt: at++,
  media: undefined,
});
const accept = (...messages: NewMessage[]) => new AcceptStatements(store).insert(messages);
const ids = (lanes: { instanceId: string; recipient: string; messages: { row: { id: string } }[] }[]) =>
  lanes.map((l) => `${l.instanceId}/${l.recipient}: ${l.messages.map((m) => m.row.id).join(' ')}`).sort();
const lockedAt = async (instanceId: string, recipient: string) =>
  (await store.sql.get<{ locked_by: string | null; locked_at: number | null }>(
    `SELECT locked_by, locked_at FROM lanes WHERE instance_id = ? AND recipient = ?`,
    [instanceId, recipient],
  )) ?? undefined;

beforeEach(async () => {
  dir = tempDir('connexa-claims-');
  store = await openTestStore(dir);
  outbox = new OutboxStatements(store);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('handing out lanes', () => {
  it('an ingest hands over the lanes it opens with at most perLane messages each, in order, within room, admitted instances only', async () => {
    await accept(
      message('a1', 'A', '111'),
      message('b1', 'B', '222'),
      message('a2', 'A', '111'),
      message('a3', 'A', '111'),
      message('c1', 'C', '333'),
      message('a4', 'A', '111'),
      message('d1', 'D', '444'),
    );
    const ingested = await outbox.transaction((tx) =>
      outbox.ingestInTx(tx, 100, { nodeId: 'n', now: 5_000, room: 2, perLane: 3, admit: (instanceId) => instanceId !== 'B' }),
    );
    expect(ingested.count).toBe(7);
    // A's lane with its first three; B refused; C the second lane; D past the room.
    expect(ids(ingested.lanes)).toEqual(['A/111: a1 a2 a3', 'C/333: c1']);
    expect(await lockedAt('A', '111')).toEqual({ locked_by: 'n', locked_at: 5_000 });
    expect((await lockedAt('B', '222'))?.locked_by).toBeNull();
    expect((await lockedAt('D', '444'))?.locked_by).toBeNull();
    // Without a claim, an ingest opens lanes and hands none over.
    await accept(message('e1', 'E', '555'));
    expect((await outbox.transaction((tx) => outbox.ingestInTx(tx, 100))).lanes).toEqual([]);
    expect((await lockedAt('E', '555'))?.locked_by).toBeNull();
  });

  it('a claim leaves out busy instances, and their lanes stay free', async () => {
    await accept(message('a1', 'A', '111'), message('b1', 'B', '222'));
    await outbox.ingest(100);
    const claimed = await outbox.transaction((tx) => outbox.claimInTx(tx, 'n', 10_000, 10, 10, ['A']));
    expect(ids(claimed)).toEqual(['B/222: b1']);
    expect((await lockedAt('A', '111'))?.locked_by).toBeNull();
    expect(ids(await outbox.transaction((tx) => outbox.claimInTx(tx, 'n', 10_000, 10, 10)))).toEqual(['A/111: a1']);
  });

  it('taking the next messages of a lane in hand renews its lock', async () => {
    await accept(message('a1', 'A', '111'), message('a2', 'A', '111'), message('a3', 'A', '111'));
    await outbox.ingest(100);
    await outbox.transaction((tx) => outbox.claimInTx(tx, 'n', 10_000, 10, 1));
    expect(await lockedAt('A', '111')).toEqual({ locked_by: 'n', locked_at: 10_000 });
    const next = await outbox.takeFromLane({ instanceId: 'A', recipient: '111' }, 70_000, 2);
    expect(next.map((m) => m.row.id)).toEqual(['a1', 'a2']);
    expect(await lockedAt('A', '111')).toEqual({ locked_by: 'n', locked_at: 70_000 });
    // Expiring locks older than 60 s leaves it: it was renewed.
    await outbox.expireLocks(65_000);
    expect((await lockedAt('A', '111'))?.locked_by).toBe('n');
  });
});
