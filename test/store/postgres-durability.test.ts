/**
 * On PostgreSQL a 200 means the accept commit is on disk whatever the
 * server's default: the pool's connections commit with synchronous_commit on,
 * even in a database whose default an operator turned off; only the
 * dispatcher's non-durable transactions turn it off, for themselves.
 */
import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase, type TestDatabase } from '../helpers/test-db.js';

let dir: string;
let database: TestDatabase;
let store: Store;

beforeEach(async () => {
  dir = tempDir('connexa-pg-durability-');
  database = await testDatabase(dir);
  if (onPostgres) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`ALTER DATABASE ${new URL(database.url).pathname.slice(1)} SET synchronous_commit = off`);
    await client.end();
  }
  store = await openTestStore(dir, { database });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const setting = `SELECT current_setting('synchronous_commit') AS v`;

describe.runIf(onPostgres)('durability on PostgreSQL', () => {
  it('durable writes commit with synchronous_commit on in a database whose default is off; the others turn it off', async () => {
    expect(await store.sql.get(setting)).toEqual({ v: 'on' });
    expect(await store.writeTx(true, (tx) => tx.get(setting))).toEqual({ v: 'on' });
    expect(await store.writeTx(false, (tx) => tx.get(setting))).toEqual({ v: 'off' });
    expect(await store.sql.get(setting)).toEqual({ v: 'on' });
  });
});
