/**
 * A write transaction holds SQLite's one connection from BEGIN to COMMIT, even
 * across the awaits of an asynchronous body: a query issued meanwhile waits
 * and then sees the committed result, never the half-done one, and a body
 * that throws after its first statement leaves nothing behind.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';

let store: Store;
beforeEach(async () => {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  await sql`CREATE TABLE t (v INTEGER)`.execute(store.db);
});
afterEach(() => store.close());

const values = async () => (await sql<{ v: number }>`SELECT v FROM t ORDER BY v`.execute(store.db)).rows.map((r) => r.v);
const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

it('an asynchronous body keeps the connection: a query meanwhile waits for the commit and sees all of it', async () => {
  const order: string[] = [];
  const tx = store.writeTx(false, async ({ db }) => {
    await sql`INSERT INTO t (v) VALUES (1)`.execute(db);
    await pause();
    await sql`INSERT INTO t (v) VALUES (2)`.execute(db);
    order.push('committing');
  });
  await pause();
  const seen = values().then((v) => {
    order.push('read');
    return v;
  });
  await tx;
  expect(await seen).toEqual([1, 2]);
  expect(order).toEqual(['committing', 'read']);
});

it('a body that throws after its first statement rolls back whole; the next transaction runs normally', async () => {
  await expect(
    store.writeTx(false, async ({ db }) => {
      await sql`INSERT INTO t (v) VALUES (1)`.execute(db);
      await pause();
      throw new Error('halfway');
    }),
  ).rejects.toThrow('halfway');
  expect(await values()).toEqual([]);
  await store.writeTx(true, ({ db }) => sql`INSERT INTO t (v) VALUES (3)`.execute(db));
  expect(await values()).toEqual([3]);
});

it('transactions from concurrent callers run one after the other, each whole', async () => {
  const log: string[] = [];
  const body =
    (name: string) =>
    async ({ db }: { db: Store['db'] }) => {
      log.push(`${name} begin`);
      await sql`INSERT INTO t (v) VALUES (${name === 'a' ? 1 : 2})`.execute(db);
      await pause();
      log.push(`${name} end`);
    };
  await Promise.all([store.writeTx(false, body('a')), store.writeTx(false, body('b'))]);
  expect(log).toEqual(['a begin', 'a end', 'b begin', 'b end']);
  expect(await values()).toEqual([1, 2]);
});

it('a single statement, in a transaction of its own or not, runs and says how many rows it changed', async () => {
  expect(await store.writeOne('INSERT INTO t (v) VALUES (?), (?)', [1, 2])).toBe(2);
  expect(await store.sql.run('UPDATE t SET v = v + 10')).toBe(2);
  expect(await values()).toEqual([11, 12]);
});

it('a statement that makes SQLite end the transaction itself fails with its own error; the next transaction runs', async () => {
  await sql`CREATE UNIQUE INDEX t_v ON t (v)`.execute(store.db);
  await store.writeOne('INSERT INTO t (v) VALUES (1)');
  // OR ROLLBACK: on the conflict SQLite rolls the whole transaction back before the error reaches the body.
  const err: unknown = await store.writeTx(true, (tx) => tx.run('INSERT OR ROLLBACK INTO t (v) VALUES (1)')).catch((e: unknown) => e);
  expect(String(err)).toMatch(/UNIQUE constraint failed/);
  expect(await store.writeOne('INSERT INTO t (v) VALUES (2)')).toBe(1);
  expect(await values()).toEqual([1, 2]);
});
