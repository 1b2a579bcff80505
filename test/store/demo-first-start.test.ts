/**
 * The demo of the embedded first start: made once, on an empty database, and
 * never again once the database has a user (a restart, or an operator's own
 * users), so a restart neither adds a second demo nor prints a new token.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { createDemoIfEmpty } from '../../src/bootstrap.js';
import type { Store } from '../../src/store/database.js';
import { countUsers } from '../../src/store/users.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let admin: AdminService;

beforeEach(async () => {
  dir = tempDir('connexa-demo-');
  store = await openTestStore(dir);
  admin = new AdminService(store.db, ['sandbox']);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the first-start demo', () => {
  it('is made on an empty database: one user with one sandbox instance', async () => {
    expect(await countUsers(store.db)).toBe(0);
    const demo = await createDemoIfEmpty(store.db, admin);
    expect(demo).toMatchObject({ name: 'demo-sandbox', engine: 'sandbox' });
    expect(await countUsers(store.db)).toBe(1);
    expect(await store.db.selectFrom('instances').select(['id', 'user_id']).execute()).toEqual([{ id: demo?.instance_id, user_id: demo?.user_id }]);
  });

  it('is not made again on a restart', async () => {
    await createDemoIfEmpty(store.db, admin);
    expect(await createDemoIfEmpty(store.db, admin)).toBeUndefined();
    expect(await countUsers(store.db)).toBe(1);
  });

  it('is not made when the operator has users of their own', async () => {
    await admin.createUser('a');
    await admin.createUser('b');
    expect(await countUsers(store.db)).toBe(2);
    expect(await createDemoIfEmpty(store.db, admin)).toBeUndefined();
    expect(await store.db.selectFrom('instances').select('id').execute()).toEqual([]);
  });
});
