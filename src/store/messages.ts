/**
 * Reads of messages and their timelines (Kysely), and the accept write: one
 * durable transaction per batch appends the message rows and their inline
 * media, and the idempotency key of a send that has one. Nothing else is
 * written on the accept path: the dispatcher takes new rows into its outbox
 * afterwards (outbox.ts, `ingest`).
 */
import type { NewMessage } from '../domain/message.js';
import { MIN_IDEMPOTENCY_TTL_MS } from './idempotency.js';
import type { Db, Store } from './database.js';
import type { EventRow, MessageRow } from './schema.js';

/** The size of one stored part of a large file: about what one short transaction writes. */
export const MEDIA_PART_BYTES = 1024 * 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class AcceptStatements {
  private readonly insertMessage;
  private readonly insertMedia;
  private readonly claimKey;
  private readonly insertPart;
  private readonly deleteParts;
  private readonly orphanParts;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.insertMessage = s.prepare(
      `INSERT INTO messages (id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
         media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime,
         status, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
    );
    this.insertMedia = s.prepare(`INSERT INTO media (message_id, bytes) VALUES (?, ?)`);
    this.insertPart = s.prepare(`INSERT INTO media_parts (message_id, seq, bytes) VALUES (?, ?, ?)`);
    this.deleteParts = s.prepare(`DELETE FROM media_parts WHERE message_id = ?`);
    this.orphanParts = s.prepare(`DELETE FROM media_parts WHERE message_id NOT IN (SELECT id FROM messages)`);
    // Takes the key, or an expired row of it; a live row of another request wins.
    this.claimKey = s.prepare<[string, string, string, string, number, number]>(
      `INSERT INTO idempotency_keys (instance_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (instance_id, key) DO UPDATE SET request_hash = excluded.request_hash,
         message_id = excluded.message_id, created_at = excluded.created_at
       WHERE idempotency_keys.created_at < ?`,
    );
  }

  /**
   * Stores the batch in one durable commit. Returns the ids of messages that
   * were not stored because their idempotency key is already held.
   */
  insert(messages: NewMessage[], idempotencyTtlMs = MIN_IDEMPOTENCY_TTL_MS): Promise<string[]> {
    return this.store.writeTx(true, () => {
      const skipped: string[] = [];
      for (const m of messages) {
        const key = m.idempotency;
        if (key !== undefined
          && this.claimKey.run(m.instanceId, key.key, key.requestHash, m.id, m.acceptedAt, m.acceptedAt - idempotencyTtlMs).changes === 0) {
          skipped.push(m.id);
          continue;
        }
        const media = m.media;
        const info = media?.info;
        this.insertMessage.run(
          m.id, m.instanceId, m.type, m.recipient, m.text ?? null,
          media?.kind ?? null,
          media?.source.kind === 'url' ? media.source.url : null,
          info?.mime ?? null, info?.size ?? null, info?.sha256 ?? null, info?.filename ?? null,
          info?.voiceNote === true ? 1 : 0,
          media?.requestedFilename ?? null, media?.requestedMime ?? null,
          m.acceptedAt, m.acceptedAt,
        );
        if (media?.bytes !== undefined) this.insertMedia.run(m.id, media.bytes);
      }
      return skipped;
    });
  }

  /**
   * Stores a large file in parts ahead of its message's commit, one short
   * transaction per part with a turn of the event loop in between. Not fsync'd
   * here: the message's durable commit makes them durable with it (one WAL).
   */
  async writeParts(messageId: string, bytes: Buffer): Promise<void> {
    for (let seq = 0, at = 0; at < bytes.length; seq++, at += MEDIA_PART_BYTES) {
      const part = bytes.subarray(at, at + MEDIA_PART_BYTES);
      await this.store.writeTx(false, () => this.insertPart.run(messageId, seq, part));
      await nextTurn();
    }
  }

  /** Removes the parts of a message that was not stored after all. */
  dropParts(messageId: string): Promise<void> {
    return this.store.writeTx(false, () => {
      this.deleteParts.run(messageId);
    });
  }

  /** Removes parts left by a crash between writing them and the message's commit. */
  dropOrphanParts(): Promise<number> {
    return this.store.writeTx(false, () => this.orphanParts.run().changes);
  }
}

export async function getMessageForInstance(db: Db, id: string, instanceId: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).where('instance_id', '=', instanceId).executeTakeFirst();
}

export async function listEvents(db: Db, messageId: string): Promise<EventRow[]> {
  return db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

/** A message's stored file: inline, or put together from its parts. */
export async function getMediaBytes(db: Db, messageId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('media').select('bytes').where('message_id', '=', messageId).executeTakeFirst();
  if (row !== undefined) return row.bytes;
  const parts = await db.selectFrom('media_parts').select('bytes').where('message_id', '=', messageId).orderBy('seq').execute();
  return parts.length === 0 ? undefined : Buffer.concat(parts.map((p) => p.bytes));
}
