/**
 * The migration runner: a fresh database gets every migration, in order, and
 * says which; a second run applies none; a migration the database refuses
 * ends the run with the database's reason, not a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

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

const ALL = fs
  .readdirSync(path.join(import.meta.dirname, '../../src/store/migrations'))
  .filter((f) => /^\d{3}_.*\.ts$/.test(f))
  .map((f) => f.slice(0, -3))
  .sort();

it('applies every migration once, in order, and says which', async () => {
  expect(ALL.length).toBeGreaterThanOrEqual(16);
  expect(await migrate(store)).toEqual({ ok: true, applied: ALL });
  expect(await migrate(store)).toEqual({ ok: true, applied: [] });
});

it("a migration the database refuses ends the run with the database's reason", async () => {
  await sql`CREATE TABLE users (squatter INTEGER)`.execute(store.db);
  const outcome = await migrate(store);
  expect(outcome.ok).toBe(false);
  expect(outcome.ok ? '' : outcome.reason).toMatch(/users/);
});
