/**
 * Ingest never passes over a message whose accept commit lands late. On
 * PostgreSQL sequence numbers do not commit in order: here message `a` takes
 * its seq first, then waits (its outbox row meets a row this test holds
 * uncommitted) while `b`, with a later seq, commits and is ingested. When `a`
 * commits, a later ingest must still take it: a cursor moved past `b`'s seq
 * would lose `a` for ever. (SQLite has one writer: its commits land in seq
 * order, and the test has nothing to hold there.)
 */
import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/domain/message.js';
import type { Store } from '../../src/store/database.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { OutboxStatements } from '../../src/store/outbox.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase, type TestDatabase } from '../helpers/test-db.js';

let dir: string;
let database: TestDatabase;
let store: Store;

const message = (id: string, at: number): NewMessage => ({
  id,
  instanceId: 'A',
  type: 'text',
  recipient: `55449999000${at}`,
  text: id,
  acceptedAt: at,
  media: undefined,
});

beforeEach(async () => {
  dir = tempDir('connexa-late-commit-');
  database = await testDatabase(dir);
  store = await openTestStore(dir, { database });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.runIf(onPostgres)('a message whose accept commits after a later one', () => {
  it('is ingested by the next pass, not skipped', async () => {
    const accept = new AcceptStatements(store);
    const outbox = new OutboxStatements(store);
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      // An uncommitted outbox row with a's id: a's own outbox insert waits for it.
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts, laned) VALUES ('a', 'A', 'x', -1, 0, true)`);
      const a = accept.insert([message('a', 1)]);
      // a has taken its seq once its waiting insert shows in pg_locks.
      await waitFor(
        async () => {
          const r = await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`);
          return (r.rows[0] as { n: number }).n > 0 ? true : undefined;
        },
        5_000,
        'a to wait on the held row',
      );
      await accept.insert([message('b', 2)]);
      expect(await outbox.ingest(10)).toBe(1);
      await holder.query('ROLLBACK');
      await a;
    } finally {
      await holder.end();
    }
    expect(await outbox.ingest(10)).toBe(1);
    const seqs = await store.sql.all<{ message_id: string; seq: number }>('SELECT message_id, seq FROM outbox ORDER BY seq');
    // a took the earlier seq, committed last, and is in the outbox all the same.
    expect(seqs.map((r) => r.message_id)).toEqual(['a', 'b']);
    expect(await store.sql.all('SELECT instance_id, recipient FROM lanes ORDER BY recipient')).toHaveLength(2);
  });
});
