/**
 * A full disk while a message's file is written: the client is told
 * `507 storage_full` (retry later), never a bare 500, and other errors are not
 * dressed up as a full disk. The kernel's own ENOSPC comes from /dev/full: the
 * message's file name is made a link to it, so the write fails the way it
 * would on a filesystem with no space left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/domain/errors.js';
import { openStore, type Store } from '../../src/store/database.js';
import { FileSpool } from '../../src/store/spool-files.js';

let root: string;
let store: Store;
let spool: FileSpool;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-spool-full-'));
  const config = { dialect: 'sqlite' as const, file: path.join(root, 'connexa.db') };
  store = openStore(config);
  spool = FileSpool.open(store, config);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the media spool on a full disk', () => {
  it('answers 507 storage_full with a Retry-After, and the next file is written once there is room', async () => {
    fs.symlinkSync('/dev/full', path.join(spool.dir, 'm1'));
    const err = await spool.put('m1', Buffer.from('image bytes')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 507, code: 'storage_full', headers: { 'Retry-After': '60' } });
    expect((err as ApiError).message).toMatch(/no disk space left/);

    await spool.put('m2', Buffer.from('other bytes'));
    expect(fs.readFileSync(path.join(spool.dir, 'm2'), 'utf8')).toBe('other bytes');
  });

  it('passes any other write error on as it is', async () => {
    fs.mkdirSync(path.join(spool.dir, 'm1'));
    const err = await spool.put('m1', Buffer.from('image bytes')).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'EISDIR' });
  });
});
