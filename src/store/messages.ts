/**
 * Reads of messages and their timelines (Kysely), and the accept write: one
 * durable transaction per batch appends the message rows and the idempotency
 * key of a send that has one. A message's file is not in its row: it is in
 * the media spool (media-spool.ts), written before the commit. Nothing else
 * is written on the accept path: the dispatcher takes new rows into its
 * outbox afterwards (outbox.ts, `ingest`).
 */
import type { NewMessage } from '../domain/message.js';
import type { MessageStatus } from '../domain/status.js';
import { MIN_IDEMPOTENCY_TTL_MS } from './idempotency.js';
import type { Db, SqlValue, Store } from './database.js';
import type { EventRow, MessageRow } from './schema.js';

const INSERT_ONE = `INSERT INTO messages (id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
    media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime,
    status, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`;
/**
 * PostgreSQL: a batch is one statement (one round trip, one short text
 * whatever the batch's size): its columns as arrays, inserted in the batch's
 * order, each message with its outbox row, not yet in a lane (ingest-sql.ts).
 */
const INSERT_ARRAYS = `WITH m AS (INSERT INTO messages (id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
    media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime,
    status, attempts, created_at, updated_at)
  SELECT id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
    media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime,
    'queued', 0, created_at, created_at
  FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
    ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])
    WITH ORDINALITY AS r(id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
      media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime, created_at, n)
  ORDER BY n
  RETURNING id, instance_id, recipient, seq)
INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts, laned) SELECT id, instance_id, recipient, seq, 0, false FROM m`;
// Takes the key, or an expired row of it; a live row of another request wins.
const CLAIM_KEY = `INSERT INTO idempotency_keys (instance_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (instance_id, key) DO UPDATE SET request_hash = excluded.request_hash,
    message_id = excluded.message_id, created_at = excluded.created_at
  WHERE idempotency_keys.created_at < ?`;

function messageValues(m: NewMessage): (string | number | null)[] {
  const media = m.media;
  const info = media?.info;
  return [
    m.id,
    m.instanceId,
    m.type,
    m.recipient,
    m.text ?? null,
    media?.kind ?? null,
    media?.source.kind === 'url' ? media.source.url : null,
    info?.mime ?? null,
    info?.size ?? null,
    info?.sha256 ?? null,
    info?.filename ?? null,
    info?.voiceNote === true ? 1 : 0,
    media?.requestedFilename ?? null,
    media?.requestedMime ?? null,
    m.acceptedAt,
    m.acceptedAt,
  ];
}

/** The batch's rows as one array per column (the last, updated_at, is created_at again). */
function columns(rows: readonly (string | number | null)[][]): SqlValue[] {
  const out: (string | number | null)[][] = Array.from({ length: 15 }, () => []);
  for (const row of rows) for (let c = 0; c < 15; c++) out[c]?.push(row[c] ?? null);
  return out;
}

export class AcceptStatements {
  constructor(private readonly store: Store) {}

  /**
   * Stores the batch's rows in one durable commit (their files, where they have one, are
   * already in the spool), in the batch's order. Returns the ids of messages that were not stored
   * because their idempotency key is already held.
   */
  async insert(messages: NewMessage[], idempotencyTtlMs = MIN_IDEMPOTENCY_TTL_MS): Promise<string[]> {
    if (this.store.dialect === 'postgres' && messages.every((m) => m.idempotency === undefined)) {
      // No key to claim: the batch is one statement, committed on its own.
      await this.store.writeOne(INSERT_ARRAYS, columns(messages.map(messageValues)));
      return [];
    }
    return this.store.writeTx(true, async (tx) => {
      const skipped: string[] = [];
      const rows: (string | number | null)[][] = [];
      for (const m of messages) {
        const key = m.idempotency;
        if (
          key !== undefined &&
          (await tx.run(CLAIM_KEY, [m.instanceId, key.key, key.requestHash, m.id, m.acceptedAt, m.acceptedAt - idempotencyTtlMs])) === 0
        ) {
          skipped.push(m.id);
          continue;
        }
        rows.push(messageValues(m));
      }
      if (this.store.dialect === 'postgres') {
        // SQLite runs one cached statement per row (no round trips); PostgreSQL one statement for the batch.
        if (rows.length > 0) await tx.run(INSERT_ARRAYS, columns(rows));
      } else {
        for (const row of rows) await tx.run(INSERT_ONE, row);
      }
      return skipped;
    });
  }
}

/** What the dispatcher learned of a URL file it fetched (kept so a retry sends it as it is, without fetching again). */
export interface FetchedMedia {
  mime: string;
  size: number;
  sha256: string;
  filename: string | undefined;
  voiceNote: boolean;
}

export async function saveFetchedMedia(store: Store, messageId: string, m: FetchedMedia): Promise<void> {
  await store.writeTx(false, ({ db }) =>
    db
      .updateTable('messages')
      .set({ media_mime: m.mime, media_size: m.size, media_sha256: m.sha256, media_filename: m.filename ?? null, media_voice: m.voiceNote ? 1 : 0 })
      .where('id', '=', messageId)
      .execute(),
  );
}

export async function getMessageForInstance(db: Db, id: string, instanceId: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).where('instance_id', '=', instanceId).executeTakeFirst();
}

/** Which of an instance's messages a list shows. */
export interface MessageFilter {
  statuses: readonly MessageStatus[] | undefined;
  phone: string | undefined;
  /** Accepted at or after (epoch ms). */
  since: number | undefined;
  /** Accepted before (epoch ms). */
  until: number | undefined;
  /** Messages accepted before the one of this `seq` (the previous page's last). */
  before: number | undefined;
  limit: number;
}

/** An instance's messages, newest first. */
export async function listMessages(db: Db, instanceId: string, f: MessageFilter): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll().where('instance_id', '=', instanceId);
  if (f.statuses !== undefined) q = q.where('status', 'in', [...f.statuses]);
  if (f.phone !== undefined) q = q.where('recipient', '=', f.phone);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('created_at', '<', f.until);
  if (f.before !== undefined) q = q.where('seq', '<', f.before);
  return q.orderBy('seq', 'desc').limit(f.limit).execute();
}

export async function listEvents(db: Db, messageId: string): Promise<EventRow[]> {
  return db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

/** A message's file where versions before the media spool kept it: a row, or rows of parts. */
export async function getMediaBytes(db: Db, messageId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('media').select('bytes').where('message_id', '=', messageId).executeTakeFirst();
  if (row !== undefined) return row.bytes;
  const parts = await db.selectFrom('media_parts').select('bytes').where('message_id', '=', messageId).orderBy('seq').execute();
  return parts.length === 0 ? undefined : Buffer.concat(parts.map((p) => p.bytes));
}
