/**
 * The migration runner: a fresh database gets every migration, in order, and
 * says which; a second run applies none; a database an earlier version
 * migrated gets only the newer ones and keeps its rows; on PostgreSQL the
 * types are PostgreSQL's (64-bit integers, bytea); a migration the
 * database refuses ends the run with the database's reason, not a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Migrator, sql, type Migration } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { PostgresSchemaPlugin } from '../../src/store/postgres/schema-plugin.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('connexa-migrate-');
  store = await openTestStore(dir, { migrated: false });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const MIGRATIONS = path.join(import.meta.dirname, '../../src/store/migrations');
const ALL = fs
  .readdirSync(MIGRATIONS)
  .filter((f) => /^\d{3}_.*\.ts$/.test(f))
  .map((f) => f.slice(0, -3))
  .sort();

it('applies every migration once, in order, and says which', async () => {
  expect(ALL.length).toBeGreaterThanOrEqual(16);
  expect(await migrate(store)).toEqual({ ok: true, applied: ALL });
  expect(await migrate(store)).toEqual({ ok: true, applied: [] });
});

/** What an earlier Connexa left: its first `count` migrations, recorded in the bookkeeping tables every version uses (their names are part of the database's format). */
async function migrateAsEarlierVersion(count: number): Promise<void> {
  const earlier: Record<string, Migration> = {};
  for (const name of ALL.slice(0, count)) earlier[name] = (await import(/* @vite-ignore */ path.join(MIGRATIONS, `${name}.ts`))) as Migration;
  const older = new Migrator({
    db: store.dialect === 'postgres' ? store.db.withPlugin(new PostgresSchemaPlugin()) : store.db,
    provider: { getMigrations: async () => earlier },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  expect((await older.migrateToLatest()).error).toBeUndefined();
}

it('upgrades a database an earlier version migrated: only the newer migrations run, its rows stay', async () => {
  await migrateAsEarlierVersion(10);
  await sql`INSERT INTO users (id, name, created_at) VALUES ('u1', 'kept', 1000)`.execute(store.db);

  expect(await migrate(store)).toEqual({ ok: true, applied: ALL.slice(10) });
  expect((await sql<{ name: string }>`SELECT name FROM users`.execute(store.db)).rows).toEqual([{ name: 'kept' }]);
  expect((await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(store.db)).rows.map((r) => r.name)).toEqual(ALL);
});

it('an instance made before instances had a state reads disconnected after the upgrade', async () => {
  await migrateAsEarlierVersion(2);
  await sql`INSERT INTO users (id, name, created_at) VALUES ('u1', 'kept', 1000)`.execute(store.db);
  await sql`INSERT INTO instances (id, user_id, name, engine, token_hash, created_at) VALUES ('i1', 'u1', 'old', 'sandbox', 'h1', 1000)`.execute(store.db);

  expect(await migrate(store)).toEqual({ ok: true, applied: ALL.slice(2) });
  expect((await sql<{ state: string }>`SELECT state FROM instances WHERE id = 'i1'`.execute(store.db)).rows).toEqual([{ state: 'disconnected' }]);
});

it("a migration the database refuses ends the run with the database's reason", async () => {
  await sql`CREATE TABLE users (squatter INTEGER)`.execute(store.db);
  const outcome = await migrate(store);
  expect(outcome.ok).toBe(false);
  expect(outcome.ok ? '' : outcome.reason).toMatch(/users/);
});

it.runIf(onPostgres)("makes SQLite's types PostgreSQL's: integers 64-bit, blobs bytea", async () => {
  expect(await migrate(store)).toMatchObject({ ok: true });
  const columns = await store.sql.all<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, column_name`,
  );
  // rate_limits is the rate limiter library's own layout, made in SQL as it documents it.
  const ours = columns.filter((c) => c.table_name !== 'rate_limits');
  expect(ours.filter((c) => c.data_type === 'integer')).toEqual([]);
  const of = (table: string, column: string) => ours.find((c) => c.table_name === table && c.column_name === column)?.data_type;
  expect(of('messages', 'attempts')).toBe('bigint');
  expect(of('media_parts', 'bytes')).toBe('bytea');
});
