/**
 * The media spool on PostgreSQL keeps files in the database, where every
 * node reads them; a file an older version kept in the node's data folder is
 * still read from there, and goes with its message.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { PostgresSpool } from '../../src/store/postgres/spool-rows.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

/** Big files compared by digest: a failure then prints two lines, not megabytes. */
const sha256 = (b: Buffer | undefined): string | undefined => (b === undefined ? undefined : createHash('sha256').update(b).digest('hex'));

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
    // Bytes that differ from part to part: parts read out of order would not compare equal.
    const big = randomBytes(2.5 * 1024 * 1024);
    await spool.put('m1', big);
    expect((await store.sql.all(`SELECT seq FROM media_parts WHERE message_id = 'm1' ORDER BY seq`)).length).toBe(3);
    expect(sha256(await spool.read('m1'))).toBe(sha256(big));
    fs.writeFileSync(path.join(legacy, 'm2'), 'from before');
    expect((await spool.read('m2'))?.toString()).toBe('from before');
    expect(await spool.read('m3')).toBeUndefined();
    await spool.remove(['m1', 'm2']);
    expect(await spool.read('m1')).toBeUndefined();
    expect(fs.existsSync(path.join(legacy, 'm2'))).toBe(false);
  });

  it('a file of whole parts takes no empty part more', async () => {
    const spool = new PostgresSpool(store, 'n1');
    const two = randomBytes(2 * 1024 * 1024);
    await spool.put('m1', two);
    expect(await store.sql.all(`SELECT seq FROM media_parts WHERE message_id = 'm1' ORDER BY seq`)).toEqual([{ seq: 0 }, { seq: 1 }]);
    expect(sha256(await spool.read('m1'))).toBe(sha256(two));
  });

  it("the sweep removes this node's files that no message took (a crashed accept), not another node's in progress", async () => {
    const mine = new PostgresSpool(store, 'n1');
    const theirs = new PostgresSpool(store, 'n2');
    await mine.put('a', Buffer.from('crashed before its row'));
    await theirs.put('b', Buffer.from('being accepted on n2'));
    expect(await mine.sweep()).toBe(1);
    expect(await mine.read('a')).toBeUndefined();
    expect((await mine.read('b'))?.toString()).toBe('being accepted on n2');
  });
});
