/**
 * The media spool on PostgreSQL: a waiting message's file in rows of
 * `media_parts` (1 MiB each), so whichever node sends the message reads it.
 * Written in a durable commit of its own before the message's commit; a
 * crash in between leaves parts without a message. A node's sweep at start
 * removes those it wrote itself (none of its accepts is in flight then), and
 * other nodes' once they are old enough that no accept can still be
 * committing them (that node may be accepting right now).
 *
 * Before several nodes, a PostgreSQL node kept these files in its data
 * folder (`<data>/media/<message id>`): a file still there is read from
 * there, and removed with its message.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../database.js';
import { DB_NOW_MS } from '../leases.js';
import { getMediaBytes } from '../messages.js';
import type { MediaSpool } from '../media-spool.js';
import { SAFE_ID } from '../spool-files.js';

const PART_BYTES = 1024 * 1024;
/** Parts without a message this old are a crashed accept's, never one in progress. */
const ORPHAN_AFTER_MS = 60 * 60_000;

const CLEAR = `DELETE FROM media_parts WHERE message_id = ?`;
const PUT = `INSERT INTO media_parts (message_id, seq, bytes, stored_at, node_id) VALUES (?, ?, ?, ${DB_NOW_MS}, ?)`;
const REMOVE = `DELETE FROM media_parts WHERE message_id = ANY(?::text[])`;
const SWEEP = `DELETE FROM media_parts p WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = p.message_id AND m.status IN ('queued', 'sending'))
  AND (EXISTS (SELECT 1 FROM messages m WHERE m.id = p.message_id) OR p.node_id = ? OR p.stored_at < ${DB_NOW_MS} - ?)`;

export class PostgresSpool implements MediaSpool {
  constructor(
    private readonly store: Store,
    /** This node: the parts it writes are marked with it. */
    private readonly nodeId: string,
    /** Where this node kept files before they moved into the database. */
    private readonly legacyDir?: string,
  ) {}

  private legacy(messageId: string): string | undefined {
    return this.legacyDir === undefined || !SAFE_ID.test(messageId) ? undefined : path.join(this.legacyDir, messageId);
  }

  async put(messageId: string, bytes: Uint8Array): Promise<void> {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.store.writeTx(true, async (tx) => {
      await tx.run(CLEAR, [messageId]);
      for (let seq = 0, at = 0; at < buffer.length || seq === 0; seq++, at += PART_BYTES) {
        await tx.run(PUT, [messageId, seq, buffer.subarray(at, at + PART_BYTES), this.nodeId]);
      }
    });
  }

  async read(messageId: string): Promise<Buffer | undefined> {
    const stored = await getMediaBytes(this.store.db, messageId);
    const file = this.legacy(messageId);
    if (stored !== undefined || file === undefined) return stored;
    return fsp.readFile(file).catch(() => undefined);
  }

  async remove(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length > 0) await this.store.writeTx(false, (tx) => tx.run(REMOVE, [[...messageIds]]));
    await Promise.all(messageIds.map((id) => this.legacy(id)).map((f) => (f === undefined ? undefined : fsp.rm(f, { force: true }))));
  }

  discard(messageIds: readonly string[]): void {
    this.remove(messageIds).catch(() => undefined);
  }

  sweep(): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(SWEEP, [this.nodeId, ORPHAN_AFTER_MS]));
  }

  async close(): Promise<void> {}
}
