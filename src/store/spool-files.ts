/**
 * The media spool on SQLite: the files of messages waiting to be sent, one
 * file per message, beside the database (`<database file>-media/`) rather
 * than in it.
 *
 * A file inside a SQLite row is written twice (into the WAL, then copied into
 * the database by a checkpoint) and its commit holds the event loop while the
 * pages go to disk. Here the bytes are written once, on libuv's thread pool,
 * and made durable (data, then the folder's entry) before the message's row
 * commits: a 200 still means the file survives a power cut, and the commit
 * itself stays small. The order makes a crash harmless: a file without a row
 * is removed at the next start (`sweep`), a row never lacks its file.
 *
 * A file leaves with its message (sent or failed) once that change has
 * committed, never before. Files that older versions stored in the database
 * (`media`, `media_parts`) are still read from there.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SqliteConfig } from '../config.js';
import { ApiError } from '../domain/errors.js';
import { GroupFlush } from '../util/group-flush.js';
import type { Store } from './database.js';
import { getMediaBytes } from './messages.js';
import type { MediaSpool } from './media-spool.js';

/** Message ids are UUIDs; anything else never names a file. */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Where a database's files live: beside it, or a private temporary folder for an in-memory one. */
export function spoolDirFor(config: SqliteConfig): { dir: string; temporary: boolean } {
  if (config.file === ':memory:') return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-media-')), temporary: true };
  return { dir: `${config.file}-media`, temporary: false };
}

export class FileSpool implements MediaSpool {
  /** Folder syncs, shared by the files written while one runs. */
  private readonly folderSync = new GroupFlush(() => this.fsyncFolder());

  private constructor(
    private readonly store: Store,
    /** The folder of the files. */
    readonly dir: string,
    private readonly temporary: boolean,
  ) {}

  /** Opens (and creates, owner-only) the spool folder of the store's database. */
  static open(store: Store, config: SqliteConfig): FileSpool {
    const { dir, temporary } = spoolDirFor(config);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
    return new FileSpool(store, dir, temporary);
  }

  private file(messageId: string): string {
    if (!SAFE_ID.test(messageId)) throw new Error('A media file is named by a message id');
    return path.join(this.dir, messageId);
  }

  /**
   * Writes a message's file and waits until it is durable: its bytes, then
   * its folder entry (one folder sync serves every file written before it
   * started, so concurrent puts share them).
   */
  async put(messageId: string, bytes: Uint8Array): Promise<void> {
    try {
      const handle = await fsp.open(this.file(messageId), 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await this.folderSync.run();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
      throw new ApiError(
        507,
        'storage_full',
        'The gateway has no disk space left to keep this file, so nothing was stored; retry later or send a smaller file',
        undefined,
        { 'Retry-After': '60' },
      );
    }
  }

  private async fsyncFolder(): Promise<void> {
    const handle = await fsp.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** A message's file, or undefined when it has none (also read from where older versions kept it). */
  async read(messageId: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(this.file(messageId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return getMediaBytes(this.store.db, messageId);
  }

  /** Removes files; one already gone is not an error. */
  async remove(messageIds: readonly string[]): Promise<void> {
    await Promise.all(messageIds.map((id) => fsp.rm(this.file(id), { force: true })));
  }

  /**
   * Removes files in the background (after their messages' commit). One that
   * cannot be removed now is left to the next start's `sweep`.
   */
  discard(messageIds: readonly string[]): void {
    this.remove(messageIds).catch(() => undefined);
  }

  /**
   * Removes the files of messages no longer waiting to be sent, or never
   * stored (a crash between the file and its commit). Run at start, before
   * anything is accepted. Returns how many were removed.
   */
  async sweep(): Promise<number> {
    const stale: string[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      const status = SAFE_ID.test(name)
        ? (await this.store.sql.get<{ status: string }>(`SELECT status FROM messages WHERE id = ?`, [name]))?.status
        : undefined;
      if (status !== 'queued' && status !== 'sending') stale.push(name);
    }
    await Promise.all(stale.map((name) => fsp.rm(path.join(this.dir, name), { force: true, recursive: true })));
    return stale.length;
  }

  /** Removes the folder of an in-memory database (its files die with it). */
  async close(): Promise<void> {
    if (this.temporary) await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
