/** Work registered with `afterCommit` runs once its transaction has committed, never after a rollback. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';

let store: Store;
beforeEach(() => {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  store.sqlite.exec('CREATE TABLE t (v INTEGER)');
});
afterEach(() => store.close());

it('runs after the commit, with the change visible; not at all after a rollback; not outside a transaction', async () => {
  const seen: string[] = [];
  const count = () => (store.sqlite.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  await store.writeTx(false, () => {
    store.sqlite.prepare('INSERT INTO t (v) VALUES (1)').run();
    store.afterCommit(() => seen.push(`committed, rows ${count()}, in tx ${store.sqlite.inTransaction}`));
    seen.push('body');
  });
  await expect(store.writeTx(false, () => {
    store.afterCommit(() => seen.push('must not run'));
    throw new Error('rollback');
  })).rejects.toThrow('rollback');
  expect(seen).toEqual(['body', 'committed, rows 1, in tx false']);
  expect(() => store.afterCommit(() => undefined)).toThrow('outside a write transaction');
});
