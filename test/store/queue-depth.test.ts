/**
 * Queue depth as the database counts it: messages in the dispatcher's outbox
 * plus those accepted and not yet taken into it, per instance, with the time
 * of the oldest; a message that was sent leaves the count.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { OutcomeStatements } from '../../src/store/outcomes.js';
import { QueueDepthStatements } from '../../src/store/queue-depth.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;

const message = (id: string, instanceId: string, at: number): NewMessage => ({
  id,
  instanceId,
  type: 'text',
  recipient: '554499999999',
  text: 'hi',
  acceptedAt: at,
  media: undefined,
});

beforeEach(async () => {
  dir = tempDir('connexa-depth-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('queue depth in SQL', () => {
  it('counts the outbox and the not-yet-ingested messages, per instance, with the oldest time', async () => {
    const accept = new AcceptStatements(store);
    const depth = new QueueDepthStatements(store);
    await accept.insert([message('a1', 'A', 1_000), message('a2', 'A', 2_000), message('b1', 'B', 3_000)]);
    // Taken into the outbox…
    expect(await new OutboxStatements(store).ingest(10)).toBe(3);
    // …and one more accepted after, still behind the cursor.
    await accept.insert([message('a3', 'A', 4_000)]);
    expect(await depth.depth('A')).toBe(3);
    expect(await depth.depth('B')).toBe(1);
    expect(await depth.depth('C')).toBe(0);
    const byId = (rows: Awaited<ReturnType<QueueDepthStatements['snapshot']>>) => Object.fromEntries(rows.map((r) => [r.instance_id, r]));
    expect(byId(await depth.snapshot())).toEqual({
      A: { instance_id: 'A', depth: 3, oldest: 1_000 },
      B: { instance_id: 'B', depth: 1, oldest: 3_000 },
    });

    // a1 is sent: it leaves the outbox and the count; a2 is now A's oldest.
    const outcomes = new OutcomeStatements(store);
    await outcomes.begin([{ messageId: 'a1', attempt: 1, at: 5_000 }]);
    await outcomes.record([{ kind: 'sent', messageId: 'a1', providerId: 'P1', at: 5_100 }]);
    expect(await depth.depth('A')).toBe(2);
    expect(byId(await depth.snapshot())['A']).toEqual({ instance_id: 'A', depth: 2, oldest: 2_000 });
  });
});
