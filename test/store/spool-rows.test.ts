/**
 * The media spool on PostgreSQL keeps files in the database, where every
 * node reads them; a file an older version kept in the node's data folder is
 * still read from there, and goes with its message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { PostgresSpool } from '../../src/store/postgres/spool-rows.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('connexa-rows-');
  if (onPostgres) store = await openTestStore(dir);
});
afterEach(async () => {
  if (onPostgres) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!onPostgres)('media in database rows', () => {
  it('stores a file in 1 MiB parts and reads it whole; reads a file left in the data folder; removes both', async () => {
    const legacy = path.join(dir, 'media');
    fs.mkdirSync(legacy);
    const spool = new PostgresSpool(store, 'n1', legacy);
    const big = Buffer.alloc(2.5 * 1024 * 1024, 7);
    await spool.put('m1', big);
    expect((await store.sql.all(`SELECT seq FROM media_parts WHERE message_id = 'm1' ORDER BY seq`)).length).toBe(3);
    expect(await spool.read('m1')).toEqual(big);
    fs.writeFileSync(path.join(legacy, 'm2'), 'from before');
    expect((await spool.read('m2'))?.toString()).toBe('from before');
    expect(await spool.read('m3')).toBeUndefined();
    await spool.remove(['m1', 'm2']);
    expect(await spool.read('m1')).toBeUndefined();
    expect(fs.existsSync(path.join(legacy, 'm2'))).toBe(false);
  });
});
