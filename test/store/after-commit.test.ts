/** Work registered with `afterCommit` runs once its transaction has committed, never after a rollback. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';

let store: Store;
beforeEach(async () => {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  await store.writeTx(false, (tx) => tx.run('CREATE TABLE t (v INTEGER)'));
});
afterEach(() => store.close());

it('runs after the commit, with the change visible; not at all after a rollback', async () => {
  const seen: string[] = [];
  const counts: Promise<number>[] = [];
  await store.writeTx(false, async (tx) => {
    await tx.run('INSERT INTO t (v) VALUES (1)');
    // A read outside the transaction waits for it to end: it sees the commit.
    tx.afterCommit(() => counts.push(store.sql.get<{ n: number }>('SELECT count(*) AS n FROM t').then((r) => r?.n ?? -1)));
    seen.push('body');
    tx.afterCommit(() => seen.push('committed'));
  });
  await expect(
    store.writeTx(false, async (tx) => {
      tx.afterCommit(() => seen.push('must not run'));
      throw new Error('rollback');
    }),
  ).rejects.toThrow('rollback');
  expect(seen).toEqual(['body', 'committed']);
  expect(await Promise.all(counts)).toEqual([1]);
});
