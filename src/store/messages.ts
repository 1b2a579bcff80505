/**
 * Reads of messages and their timelines (Kysely), and the accept write: one
 * transaction per batch stores message rows, inline media and outbox rows.
 */
import type { NewMessage } from '../domain/message.js';
import type { Db, Store } from './database.js';
import type { EventRow, MessageRow } from './schema.js';

export class AcceptStatements {
  private readonly insertMessage;
  private readonly insertOutbox;
  private readonly insertMedia;
  private readonly openLane;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.insertMessage = s.prepare<unknown[], { seq: number }>(
      `INSERT INTO messages (id, instance_id, type, recipient, text, media_kind, media_url, media_mime,
         media_size, media_sha256, media_filename, media_voice, requested_filename, requested_mime,
         status, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) RETURNING seq`,
    );
    this.insertOutbox = s.prepare(
      `INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts) VALUES (?, ?, ?, ?, 0)`,
    );
    this.openLane = s.prepare(
      `INSERT INTO lanes (instance_id, recipient, run_at) VALUES (?, ?, ?) ON CONFLICT (instance_id, recipient) DO NOTHING`,
    );
    this.insertMedia = s.prepare(`INSERT INTO media (message_id, bytes) VALUES (?, ?)`);
  }

  insert(messages: NewMessage[]): Promise<void> {
    return this.store.writeTx(true, () => {
      for (const m of messages) {
        const media = m.media;
        const info = media?.info;
        const row = this.insertMessage.get(
          m.id, m.instanceId, m.type, m.recipient, m.text ?? null,
          media?.kind ?? null,
          media?.source.kind === 'url' ? media.source.url : null,
          info?.mime ?? null, info?.size ?? null, info?.sha256 ?? null, info?.filename ?? null,
          info?.voiceNote === true ? 1 : 0,
          media?.requestedFilename ?? null, media?.requestedMime ?? null,
          m.acceptedAt, m.acceptedAt,
        );
        if (row === undefined) throw new Error('insert returned no row');
        this.insertOutbox.run(m.id, m.instanceId, m.recipient, row.seq);
        this.openLane.run(m.instanceId, m.recipient, m.acceptedAt);
        if (media?.bytes !== undefined) this.insertMedia.run(m.id, media.bytes);
      }
    });
  }
}

export async function getMessageForInstance(db: Db, id: string, instanceId: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).where('instance_id', '=', instanceId).executeTakeFirst();
}

export async function listEvents(db: Db, messageId: string): Promise<EventRow[]> {
  return db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

export async function getMediaBytes(db: Db, messageId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('media').select('bytes').where('message_id', '=', messageId).executeTakeFirst();
  return row?.bytes;
}
