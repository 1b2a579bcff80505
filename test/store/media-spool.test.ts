/**
 * A message's file lives in the media spool beside the database, not in its
 * row: on disk (data and folder entry) before the row commits, owner-only,
 * read back whole, gone once its message is sent or failed (and only once
 * that has committed), gone when the message is not stored after all, and
 * files a crash left without a waiting message are removed at the next start.
 * Files that versions before the spool kept in the database are still read.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Acceptor } from '../../src/dispatch/acceptor.js';
import type { NewMessage } from '../../src/domain/message.js';
import { openStore, type Store } from '../../src/store/database.js';
import { FileSpool } from '../../src/store/spool-files.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { OutcomeStatements } from '../../src/store/outcomes.js';
import { tempDir } from '../helpers/gateway.js';

let dir: string;
let file: string;
let store: Store;
let spool: FileSpool;

const image = (id: string, bytes: Buffer, key?: string): NewMessage => ({
  id,
  instanceId: 'inst',
  type: 'image',
  recipient: '554499999999',
  text: undefined,
  acceptedAt: Date.now(),
  media: {
    kind: 'image',
    source: { kind: 'inline' },
    bytes,
    info: { mime: 'image/png', size: bytes.length, sha256: 'x', filename: undefined, voiceNote: false },
    requestedFilename: undefined,
    requestedMime: undefined,
  },
  ...(key !== undefined ? { idempotency: { key, requestHash: 'h' } } : {}),
});
const spooled = (id: string) => fs.existsSync(path.join(spool.dir, id));
const status = async (id: string) => (await store.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirst())?.status;
/** Lets background file removals (started after a commit) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

beforeEach(async () => {
  dir = tempDir('connexa-spool-');
  file = path.join(dir, 'db.sqlite');
  store = openStore({ dialect: 'sqlite', file });
  expect((await migrate(store)).ok).toBe(true);
  spool = FileSpool.open(store, { dialect: 'sqlite', file });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('media spool', () => {
  it('an accepted file is a file of its own beside the database (owner-only), not in a row, and reads back whole', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), spool, () => {}, 86_400_000);
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const onDisk = () => ['', '-wal'].reduce((n, suffix) => n + (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0), 0);
    const before = onDisk();
    expect(await acceptor.accept(image('big', bytes))).toBe('stored');
    expect(spool.dir).toBe(`${file}-media`);
    expect(fs.statSync(spool.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(spool.dir, 'big')).mode & 0o777).toBe(0o600);
    expect((await spool.read('big'))?.equals(bytes)).toBe(true);
    expect(await store.db.selectFrom('media').select('message_id').execute()).toEqual([]);
    expect(await store.db.selectFrom('media_parts').select('message_id').execute()).toEqual([]);
    // The commit carried the row only: the database and its WAL grew by far less than the file.
    expect(onDisk() - before).toBeLessThan(bytes.length / 4);
  });

  it('the row commits only once its file is complete on disk', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const seen: boolean[] = [];
    class Watched extends AcceptStatements {
      override insert(messages: NewMessage[], ttl?: number): Promise<string[]> {
        seen.push(fs.readFileSync(path.join(spool.dir, 'm1')).equals(bytes));
        return super.insert(messages, ttl);
      }
    }
    expect(await new Acceptor(new Watched(store), spool, () => {}, 86_400_000).accept(image('m1', bytes))).toBe('stored');
    expect(seen).toEqual([true]);
  });

  it('the file of a message not stored (its idempotency key taken, or its commit failed) is removed', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), spool, () => {}, 86_400_000);
    expect(await acceptor.accept(image('first', randomBytes(10), 'k'))).toBe('stored');
    expect(await acceptor.accept(image('second', randomBytes(1000), 'k'))).toBe('key_taken');
    expect(spooled('first')).toBe(true);
    expect(spooled('second')).toBe(false);

    class Failing extends AcceptStatements {
      override insert(): Promise<string[]> {
        return Promise.reject(new Error('disk I/O error'));
      }
    }
    await expect(new Acceptor(new Failing(store), spool, () => {}, 86_400_000).accept(image('third', randomBytes(1000)))).rejects.toThrow('disk I/O error');
    expect(spooled('third')).toBe(false);
  });

  it('a sent or failed message loses its file once that has committed; a retry or a rolled-back change keeps it', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), spool, () => {}, 86_400_000);
    for (const id of ['a', 'b', 'c', 'd']) expect(await acceptor.accept(image(id, randomBytes(64)))).toBe('stored');
    const outcomes = new OutcomeStatements(store, undefined, spool);
    const at = Date.now();
    await outcomes.begin(['a', 'b', 'c', 'd'].map((messageId) => ({ messageId, attempt: 1, at })));
    await outcomes.record([
      { kind: 'sent', messageId: 'a', providerId: 'P-a', at },
      { kind: 'failed', messageId: 'b', code: 'recipient_not_found', reason: 'no', at },
      { kind: 'retry', messageId: 'c', code: 'timeout', reason: 'slow', at, runAt: at + 1000 },
    ]);
    await expect(
      store.writeTx(false, async (tx) => {
        await outcomes.recordInTx(tx, [{ kind: 'sent', messageId: 'd', providerId: 'P-d', at }]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // Files go in the background after the commit: on a loaded machine that takes a while.
    await expect.poll(() => [spooled('a'), spooled('b')], { timeout: 10_000 }).toEqual([false, false]);
    await settle();
    expect([spooled('c'), spooled('d')]).toEqual([true, true]);
    expect(await status('d')).toBe('sending');
  });

  it('at start, files of messages no longer waiting or never stored are removed; waiting ones stay', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), spool, () => {}, 86_400_000);
    expect(await acceptor.accept(image('waiting', randomBytes(64)))).toBe('stored');
    expect(await acceptor.accept(image('in-hand', randomBytes(64)))).toBe('stored');
    expect(await acceptor.accept(image('done', randomBytes(64)))).toBe('stored');
    await store.writeTx(false, (tx) => tx.run(`UPDATE messages SET status = 'sending' WHERE id = 'in-hand'`));
    await store.writeTx(false, (tx) => tx.run(`UPDATE messages SET status = 'sent' WHERE id = 'done'`));
    // A crash between a file and its commit leaves a file without a row.
    await spool.put('ghost', randomBytes(64));
    expect(await spool.sweep()).toBe(2);
    expect([spooled('waiting'), spooled('in-hand'), spooled('done'), spooled('ghost')]).toEqual([true, true, false, false]);
  });

  it('a file an older version kept in the database (a row, or parts) is still read', async () => {
    await new AcceptStatements(store).insert([image('inline', randomBytes(1)), image('parted', randomBytes(1))]);
    const inline = randomBytes(500);
    const parts = [randomBytes(300), randomBytes(200)];
    await store.writeTx(false, async (tx) => {
      await tx.run(`INSERT INTO media (message_id, bytes) VALUES (?, ?)`, ['inline', inline]);
      for (const [seq, p] of parts.entries()) await tx.run(`INSERT INTO media_parts (message_id, seq, bytes) VALUES (?, ?, ?)`, ['parted', seq, p]);
    });
    expect((await spool.read('inline'))?.equals(inline)).toBe(true);
    expect((await spool.read('parted'))?.equals(Buffer.concat(parts))).toBe(true);
    expect(await spool.read('nothing')).toBeUndefined();
  });

  it('an in-memory database gets a private folder, removed when it closes', async () => {
    const memory = openStore({ dialect: 'sqlite', file: ':memory:' });
    expect((await migrate(memory)).ok).toBe(true);
    const temporary = FileSpool.open(memory, { dialect: 'sqlite', file: ':memory:' });
    await temporary.put('x', randomBytes(10));
    expect(fs.existsSync(path.join(temporary.dir, 'x'))).toBe(true);
    await temporary.close();
    await memory.close();
    expect(fs.existsSync(temporary.dir)).toBe(false);
  });

  it('a full disk answers 507 storage_full with Retry-After, and the message is not stored', async () => {
    // A real ENOSPC from the kernel: the file's name points at /dev/full.
    fs.symlinkSync('/dev/full', path.join(spool.dir, 'full'));
    const acceptor = new Acceptor(new AcceptStatements(store), spool, () => {}, 86_400_000);
    await expect(acceptor.accept(image('full', randomBytes(1000)))).rejects.toMatchObject({
      status: 507,
      code: 'storage_full',
      headers: { 'Retry-After': '60' },
    });
    expect(await status('full')).toBeUndefined();
    expect(fs.existsSync(path.join(spool.dir, 'full'))).toBe(false);
  });

  it('a name that is not a message id never reaches the file system', async () => {
    await expect(spool.put('../escape', randomBytes(1))).rejects.toThrow('named by a message id');
    await expect(spool.read('../../etc/passwd')).rejects.toThrow('named by a message id');
  });
});
