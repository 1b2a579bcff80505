/** The database is private to the gateway's user: folder 0700, files 0600, older loose files narrowed. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { FileSpool } from '../../src/store/spool-files.js';

const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
let root: string;
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('database file modes', () => {
  it('creates the folder 0700 and the database, its WAL and shared memory 0600', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-modes-'));
    const file = path.join(root, 'data', 'connexa.db');
    const store = openStore({ dialect: 'sqlite', file });
    await store.writeTx(true, (tx) => tx.run('CREATE TABLE t (x)'));
    expect(mode(path.dirname(file))).toBe('700');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe('600');
    await store.close();
  });

  it('narrows a database file, its WAL and shared memory an older version left readable by others', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-modes-'));
    const file = path.join(root, 'connexa.db');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      fs.writeFileSync(f, '', { mode: 0o644 });
      fs.chmodSync(f, 0o644);
    }
    const store = openStore({ dialect: 'sqlite', file });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, '600']);
    await store.close();
  });

  it('closing closes the database: its WAL is folded back and removed', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-modes-'));
    const file = path.join(root, 'connexa.db');
    const store = openStore({ dialect: 'sqlite', file });
    await store.writeTx(true, (tx) => tx.run('CREATE TABLE t (x)'));
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    await store.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('keeps media files in a folder of their own, 0700, narrowed when an older version left it open', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-modes-'));
    const file = path.join(root, 'connexa.db');
    const store = openStore({ dialect: 'sqlite', file });
    const fresh = FileSpool.open(store, { dialect: 'sqlite', file });
    expect([fresh.dir, mode(fresh.dir)]).toEqual([`${file}-media`, '700']);
    fs.chmodSync(fresh.dir, 0o755);
    expect(mode(FileSpool.open(store, { dialect: 'sqlite', file }).dir)).toBe('700');
    await store.close();
  });

  it("closing keeps a database file's media folder and files; an in-memory database's folder goes with it", async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-modes-'));
    const file = path.join(root, 'connexa.db');
    const store = openStore({ dialect: 'sqlite', file });
    const kept = FileSpool.open(store, { dialect: 'sqlite', file });
    await kept.put('m1', Buffer.from('bytes'));
    await kept.close();
    expect(fs.readFileSync(path.join(kept.dir, 'm1'), 'utf8')).toBe('bytes');
    const temporary = FileSpool.open(store, { dialect: 'sqlite', file: ':memory:' });
    await temporary.put('m2', Buffer.from('bytes'));
    await temporary.close();
    expect(fs.existsSync(temporary.dir)).toBe(false);
    await store.close();
  });
});
