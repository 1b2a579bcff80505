/**
 * The database a test runs on. `npm test` runs the suite's database tests
 * twice: on SQLite (a file in the test's folder) and, in the `postgres`
 * project, on PostgreSQL (CONNEXA_TEST_DIALECT=postgres), where each test
 * gets a database of its own, created fresh on the server at
 * CONNEXA_TEST_POSTGRES_URL and dropped when the test closes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';

export const testDialect: 'sqlite' | 'postgres' = process.env['CONNEXA_TEST_DIALECT'] === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = testDialect === 'postgres';
const ADMIN_URL = process.env['CONNEXA_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Nodes on PostgreSQL need the key from the environment; tests use this one. */
export const TEST_SECRET_KEY = '00'.repeat(32);

let made = 0;

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  config: DatabaseConfig;
  /** CONNEXA_DATABASE_URL of it. */
  url: string;
  /** Where a gateway on it keeps message files (SQLite: a folder beside the database; PostgreSQL: rows in it). */
  mediaDir: string;
  /** How many messages have a file in the media spool. */
  spooled(): Promise<number>;
  /** Environment a gateway needs on it (the database URL, and the secret key on PostgreSQL). */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh, empty database: a file in `dir` on SQLite, a new database on PostgreSQL. */
export async function testDatabase(dir: string, file = 'db.sqlite'): Promise<TestDatabase> {
  if (!onPostgres) {
    const config = { dialect: 'sqlite' as const, file: path.join(dir, file) };
    return {
      config,
      url: `sqlite:${config.file}`,
      mediaDir: `${config.file}-media`,
      spooled: async () => (fs.existsSync(`${config.file}-media`) ? fs.readdirSync(`${config.file}-media`).length : 0),
      env: { CONNEXA_DATABASE_URL: `sqlite:${config.file}` },
      drop: async () => undefined,
    };
  }
  const name = `connexa_test_${process.pid}_${++made}_${Math.random().toString(36).slice(2, 8)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    config: { dialect: 'postgres', url: url.toString(), poolMax: 4, acceptCommits: 1 },
    url: url.toString(),
    mediaDir: path.join(dir, 'data', 'media'),
    spooled: async () => {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return Number((await client.query<{ n: string }>('SELECT count(DISTINCT message_id) AS n FROM media_parts')).rows[0]?.n ?? 0);
      } finally {
        await client.end();
      }
    },
    env: { CONNEXA_DATABASE_URL: url.toString(), CONNEXA_SECRET_KEY: TEST_SECRET_KEY },
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/** A store on a fresh database (migrated unless `migrated` is false); closing it drops a PostgreSQL database. */
export async function openTestStore(dir: string, options: { migrated?: boolean; file?: string; database?: TestDatabase } = {}): Promise<Store> {
  const database = options.database ?? (await testDatabase(dir, options.file));
  const store = openStore(database.config);
  if (options.migrated !== false) {
    const result = await migrate(store);
    if (!result.ok) throw new Error(`migrations failed: ${result.reason}`);
  }
  return {
    ...store,
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * Holds the database's write lock from a connection of the test's own until
 * the returned function is called: SQLite's one writer lock, or on
 * PostgreSQL an exclusive lock on the messages table (accepts then wait, as
 * they wait for SQLite's).
 */
export async function holdWriteLock(database: TestDatabase): Promise<() => Promise<void>> {
  if (database.config.dialect === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const lock = new SQLite(database.config.file);
    lock.exec('BEGIN IMMEDIATE');
    return async () => {
      lock.exec('COMMIT');
      lock.close();
    };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE messages IN EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}
