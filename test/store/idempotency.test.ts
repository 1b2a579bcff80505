/**
 * The idempotency key row as the database keeps it: written in the message's
 * own commit, a live key held by another message wins (the race between two
 * nodes), an expired key is taken over, and pruning forgets old keys.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { IdempotencyStatements } from '../../src/store/idempotency.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

const HOUR = 60 * 60_000;
let dir: string;
let store: Store;

const message = (id: string, at: number, key?: string, requestHash = 'h1'): NewMessage => ({
  id,
  instanceId: 'inst',
  type: 'text',
  recipient: '554499999999',
  text: 'hi',
  acceptedAt: at,
  media: undefined,
  ...(key !== undefined ? { idempotency: { key, requestHash } } : {}),
});

const stored = async (): Promise<string[]> => (await store.db.selectFrom('messages').select('id').orderBy('seq').execute()).map((r) => r.id);

beforeEach(async () => {
  dir = tempDir('connexa-idem-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('idempotency keys in SQL', () => {
  it('a live key held by another message wins: the second message is not stored', async () => {
    const accept = new AcceptStatements(store);
    expect(await accept.insert([message('m1', 1_000, 'k')], 24 * HOUR)).toEqual([]);
    expect(await accept.insert([message('m2', 2_000, 'k', 'h2'), message('m3', 2_000)], 24 * HOUR)).toEqual(['m2']);
    expect(await stored()).toEqual(['m1', 'm3']);
    expect(await new IdempotencyStatements(store).lookup('inst', 'k', 0)).toEqual({ request_hash: 'h1', message_id: 'm1' });
  });

  it('an expired key is taken over by a new message, and lookups ignore it', async () => {
    const accept = new AcceptStatements(store);
    const keys = new IdempotencyStatements(store);
    await accept.insert([message('old', 1_000, 'k')], 24 * HOUR);
    expect(await keys.lookup('inst', 'k', 1_000 + 1)).toBeUndefined();
    expect(await accept.insert([message('new', 1_000 + 25 * HOUR, 'k', 'h2')], 24 * HOUR)).toEqual([]);
    expect(await keys.lookup('inst', 'k', 0)).toEqual({ request_hash: 'h2', message_id: 'new' });
  });

  it('pruning forgets keys older than the cut-off and keeps the rest', async () => {
    const accept = new AcceptStatements(store);
    const keys = new IdempotencyStatements(store);
    await accept.insert([message('a', 1_000, 'old'), message('b', 5_000, 'young')], 24 * HOUR);
    expect(await keys.pruneBefore(2_000)).toBe(1);
    expect(await keys.lookup('inst', 'old', 0)).toBeUndefined();
    expect((await keys.lookup('inst', 'young', 0))?.message_id).toBe('b');
  });
});
