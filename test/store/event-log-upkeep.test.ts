/**
 * The event log's upkeep: which subjects are streamed (the rows that make an
 * instance's events logged) and the pruning of old events and old streams,
 * a batch at a time.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import type { Store } from '../../src/store/database.js';
import { ALL_INSTANCES, EventLogStatements } from '../../src/store/event-log.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let log: EventLogStatements;
let instanceId: string;

const append = (type: string, at: number): Promise<void> =>
  store.writeTx(false, (tx) => EventLogStatements.append(tx, instanceId, type, JSON.stringify({ type }), at));
const types = async (): Promise<string[]> => (await log.read(undefined, 0, Number.MAX_SAFE_INTEGER, 100)).map((e) => e.type);

beforeEach(async () => {
  dir = tempDir('connexa-event-log-');
  store = await openTestStore(dir);
  log = new EventLogStatements(store);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'i', 'sandbox')).instance_id;
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the event log', () => {
  it('is empty at first: the newest id is 0', async () => {
    expect(await log.lastId()).toBe(0);
    expect(await log.idsAfter(0, 10)).toEqual([]);
  });

  it('prunes the events written before a time, a batch at a time, and counts them', async () => {
    for (let i = 0; i < 7; i++) await append(`old${i}`, 1_000 + i);
    await append('at the limit', 2_000);
    await append('new', 3_000);
    expect(await log.pruneBefore(2_000, 3)).toBe(7);
    expect(await types()).toEqual(['at the limit', 'new']);
    expect(await log.pruneBefore(2_000, 3)).toBe(0);
  });

  it('prunes a whole number of batches and stops', async () => {
    for (let i = 0; i < 6; i++) await append(`old${i}`, 1_000);
    await append('new', 3_000);
    expect(await log.pruneBefore(2_000, 3)).toBe(6);
    expect(await types()).toEqual(['new']);
  });
});

describe('the streamed subjects', () => {
  it('are those seen at or after a time; a stream seen again moves forward', async () => {
    await log.touchStream(instanceId, 1_000);
    await log.touchStream(ALL_INSTANCES, 2_000);
    expect((await log.streamedSince(1_000)).sort()).toEqual([ALL_INSTANCES, instanceId].sort());
    expect(await log.streamedSince(1_001)).toEqual([ALL_INSTANCES]);
    await log.touchStream(instanceId, 3_000);
    expect(await log.streamedSince(2_500)).toEqual([instanceId]);
  });

  it('not seen since a time are forgotten', async () => {
    await log.touchStream(instanceId, 1_000);
    await log.touchStream(ALL_INSTANCES, 2_000);
    expect(await log.pruneStreams(2_000)).toBe(1);
    expect(await log.streamedSince(0)).toEqual([ALL_INSTANCES]);
  });
});
