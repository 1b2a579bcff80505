/**
 * The sandbox's inbox: what the simulated WhatsApp received. Rows are keyed
 * by the WhatsApp message id, as WhatsApp deduplicates: a resend of the same
 * id is counted in `resends`, never a second arrival. A resend under a new id
 * would be a second row, which is what tests look for.
 */
import type { Store } from '../../store/database.js';
import type { InboxRow } from '../../store/schema.js';

export interface Arrival {
  instanceId: string;
  providerId: string;
  messageId: string;
  part: number;
  recipient: string;
  type: string;
  text: string | null;
  mediaMime: string | null;
  mediaSize: number | null;
  mediaSha256: string | null;
  mediaFilename: string | null;
  receivedAt: number;
  deliverDue: number;
  readDue: number | null;
}

export class InboxStore {
  private readonly upsert;
  private readonly dueDeliver;
  private readonly dueRead;
  private readonly setDelivered;
  private readonly setRead;
  private readonly page;
  private readonly pageFirst;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.upsert = s.prepare(
      `INSERT INTO sandbox_inbox (instance_id, provider_id, message_id, part, recipient, type, text, media_mime,
         media_size, media_sha256, media_filename, received_at, deliver_due, read_due)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider_id) DO UPDATE SET resends = resends + 1`,
    );
    this.dueDeliver = s.prepare<[number, number], { id: number; message_id: string; part: number }>(
      `SELECT id, message_id, part FROM sandbox_inbox WHERE delivered_at IS NULL AND deliver_due <= ? ORDER BY deliver_due LIMIT ?`,
    );
    this.dueRead = s.prepare<[number, number], { id: number; message_id: string; part: number }>(
      `SELECT id, message_id, part FROM sandbox_inbox
       WHERE read_at IS NULL AND delivered_at IS NOT NULL AND read_due IS NOT NULL AND read_due <= ? ORDER BY read_due LIMIT ?`,
    );
    this.setDelivered = s.prepare(`UPDATE sandbox_inbox SET delivered_at = ? WHERE id = ?`);
    this.setRead = s.prepare(`UPDATE sandbox_inbox SET read_at = ? WHERE id = ?`);
    this.page = s.prepare<[string, number, number], InboxRow>(
      `SELECT * FROM sandbox_inbox WHERE instance_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    );
    this.pageFirst = s.prepare<[string, number], InboxRow>(
      `SELECT * FROM sandbox_inbox WHERE instance_id = ? ORDER BY id DESC LIMIT ?`,
    );
  }

  record(arrivals: Arrival[]): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const a of arrivals) {
        this.upsert.run(
          a.instanceId, a.providerId, a.messageId, a.part, a.recipient, a.type, a.text, a.mediaMime,
          a.mediaSize, a.mediaSha256, a.mediaFilename, a.receivedAt, a.deliverDue, a.readDue,
        );
      }
    });
  }

  dueDeliveries(now: number, limit: number): { id: number; message_id: string; part: number }[] {
    return this.dueDeliver.all(now, limit);
  }

  dueReads(now: number, limit: number): { id: number; message_id: string; part: number }[] {
    return this.dueRead.all(now, limit);
  }

  markDelivered(ids: number[], at: number): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const id of ids) this.setDelivered.run(at, id);
    });
  }

  markRead(ids: number[], at: number): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const id of ids) this.setRead.run(at, id);
    });
  }

  /** Newest first; `before` is the cursor (an inbox id) returned by the previous page. */
  list(instanceId: string, before: number | undefined, limit: number): InboxRow[] {
    return before === undefined ? this.pageFirst.all(instanceId, limit) : this.page.all(instanceId, before, limit);
  }
}
