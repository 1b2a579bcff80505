/**
 * The pool's connections on PostgreSQL: a transaction left idle past the
 * store's limit (a node paused mid-transaction) is ended by the server, so it
 * holds no locks for long; the transaction fails visibly, the process does not
 * die of the connection's 'error' event, and the store goes on with a fresh
 * connection.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase, type TestDatabase } from '../helpers/test-db.js';

let dir: string;
let database: TestDatabase;
let owner: Store;

beforeEach(async () => {
  dir = tempDir('connexa-pg-pool-');
  database = await testDatabase(dir);
  // Owns the test database (dropped when it closes).
  owner = await openTestStore(dir, { database });
});
afterEach(async () => {
  await owner.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A store on the test database with `config` over its own. */
function storeWith(config: { idleTransactionMs?: number }): Store {
  if (database.config.dialect !== 'postgres') throw new Error('a PostgreSQL test database');
  return openStore({ ...database.config, ...config });
}

describe.runIf(onPostgres)('the pool on PostgreSQL', () => {
  it("names its connections and ends a transaction idle past the store's limit (one minute unless configured)", async () => {
    const store = storeWith({});
    try {
      expect(await store.sql.get(`SELECT current_setting('application_name') AS v`)).toEqual({ v: 'connexa' });
      expect(await store.sql.get(`SELECT current_setting('idle_in_transaction_session_timeout') AS v`)).toEqual({ v: '1min' });
    } finally {
      await store.close();
    }
  });

  it('a transaction the server ends while it is idle fails; the process lives and the store goes on', async () => {
    const store = storeWith({ idleTransactionMs: 300 });
    try {
      expect(await store.sql.get(`SELECT current_setting('idle_in_transaction_session_timeout') AS v`)).toEqual({ v: '300ms' });
      const outcome = await store
        .writeTx(true, async (tx) => {
          await tx.run(`INSERT INTO users (id, name, created_at) VALUES ('u-idle', 'idle', 1)`);
          // Paused past the limit, as a stuck node would be: the server ends the session under it.
          await new Promise((r) => setTimeout(r, 1_500));
          return tx.get(`SELECT 1 AS one`);
        })
        .then(
          () => 'committed',
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        );
      expect(outcome).toMatch(/connection error|idle-in-transaction|terminat/i);
      // Nothing of it committed, and the store answers on another connection.
      expect(await store.sql.get(`SELECT count(*) AS n FROM users WHERE id = 'u-idle'`)).toEqual({ n: 0 });
    } finally {
      await store.close();
    }
  });
});
