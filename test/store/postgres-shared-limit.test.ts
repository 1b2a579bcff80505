/**
 * The rate limit nodes of a cluster count together on PostgreSQL: two stores
 * on one database (two nodes) draw on one budget per key, kept in the
 * `rate_limits` table the migrations made, from the very first request.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase } from '../helpers/test-db.js';

let dir: string;
let first: Store;
let second: Store;

beforeEach(async () => {
  dir = tempDir('connexa-pg-shared-limit-');
  const database = await testDatabase(dir);
  first = await openTestStore(dir, { database });
  second = openStore(database.config);
});
afterEach(async () => {
  await second.close();
  await first.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.runIf(onPostgres)('the shared rate limit on PostgreSQL', () => {
  it('is one budget per key for every node, kept in rate_limits', async () => {
    const options = { keyPrefix: 'sends', points: 3, durationS: 60 };
    const a = first.sharedLimiter?.(options);
    const b = second.sharedLimiter?.(options);
    if (a === undefined || b === undefined) throw new Error('a store on PostgreSQL has a shared limiter');

    // Each node's first requests count where the other sees them.
    expect((await a.consume('tenant-1')).remainingPoints).toBe(2);
    expect((await b.consume('tenant-1')).remainingPoints).toBe(1);
    expect((await a.consume('tenant-1')).remainingPoints).toBe(0);
    const refused: unknown = await b.consume('tenant-1').then(
      () => 'allowed',
      (res: unknown) => res,
    );
    expect(refused).toMatchObject({ remainingPoints: 0 });
    // Another key has its own budget.
    expect((await b.consume('tenant-2')).remainingPoints).toBe(2);

    const rows = await first.sql.all<{ key: string; points: number }>(`SELECT key, points FROM rate_limits ORDER BY key`);
    expect(rows).toEqual([
      { key: 'sends:tenant-1', points: 4 },
      { key: 'sends:tenant-2', points: 1 },
    ]);
  });
});
