/**
 * The event feed's horizon: how far the log can be read without missing an
 * event. It follows the log on both databases; on PostgreSQL, where ids are
 * taken at insert and transactions commit out of id order, it stops below an id
 * whose transaction has not committed yet (a later id committed meanwhile
 * waits with it), and passes an id that never appears (a rollback) once the
 * grace time is over.
 */
import fs from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { EventFeed } from '../../src/events/event-feed.js';
import type { Store } from '../../src/store/database.js';
import { EventLogStatements } from '../../src/store/event-log.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let log: EventLogStatements;
let instanceId: string;
let clock = 0;

const append = (type: string): Promise<void> => store.writeTx(false, (tx) => EventLogStatements.append(tx, instanceId, type, JSON.stringify({ type }), clock));
const feedOf = (gapGraceMs: number): EventFeed => new EventFeed(log, { pollMs: 1000, gapGraceMs, now: () => clock }, pino({ level: 'silent' }));

beforeEach(async () => {
  dir = tempDir('connexa-event-feed-');
  store = await openTestStore(dir);
  log = new EventLogStatements(store);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
  clock = 1_000;
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the event feed', () => {
  it('starts at the newest event and follows the log', async () => {
    await append('a');
    const feed = feedOf(0);
    const start = await feed.current();
    expect(start).toBe(await log.lastId());
    await append('b');
    await append('c');
    await feed.poll();
    expect(await feed.current()).toBe(start + 2);
    expect((await log.read(instanceId, start, start + 2, 10)).map((e) => e.type)).toEqual(['b', 'c']);
    expect((await log.read(undefined, start - 1, start + 1, 10)).map((e) => e.type)).toEqual(['a', 'b']);
  });

  it('starts again at the newest event once nobody listened for a while', async () => {
    const feed = feedOf(0);
    const stop = feed.subscribe(() => {});
    const start = await feed.current();
    stop();
    await append('while nobody listens');
    await append('nor now');
    feed.subscribe(() => {})();
    expect(await feed.current()).toBe(start + 2);
  });

  it.runIf(onPostgres)('waits below an id whose transaction commits after a later one', async () => {
    const feed = feedOf(3_000);
    const start = await feed.current();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const slow = store.writeTx(false, async (tx) => {
      await EventLogStatements.append(tx, instanceId, 'slow', '{}', clock);
      await held;
    });
    // The slow transaction has its id before the fast one takes the next.
    await new Promise((r) => setTimeout(r, 100));
    await append('fast');
    await feed.poll();
    expect(await feed.current()).toBe(start);
    release();
    await slow;
    await feed.poll();
    expect(await feed.current()).toBe(start + 2);
    expect((await log.read(instanceId, start, start + 2, 10)).map((e) => e.type)).toEqual(['slow', 'fast']);
  });

  it.runIf(onPostgres)('passes an id that never appears once the grace time is over', async () => {
    const feed = feedOf(3_000);
    const start = await feed.current();
    await expect(
      store.writeTx(false, async (tx) => {
        await EventLogStatements.append(tx, instanceId, 'rolled back', '{}', clock);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await append('after');
    await feed.poll();
    expect(await feed.current()).toBe(start);
    clock += 2_999;
    await feed.poll();
    expect(await feed.current()).toBe(start);
    clock += 1;
    await feed.poll();
    expect(await feed.current()).toBe(start + 2);
  });
});
