/** Readiness (`/readyz`): the database answers a trivial query while it is open, and the check fails once it cannot. */
import fs from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { databaseAnswers, type Store } from '../../src/store/database.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('connexa-ready-');
  store = await openTestStore(dir, { migrated: false });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('answers while open; fails once the database is gone', async () => {
  await expect(databaseAnswers(store.db)).resolves.toBeUndefined();
  await store.close();
  await expect(databaseAnswers(store.db)).rejects.toThrow();
});
