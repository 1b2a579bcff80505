/**
 * The sandbox's inbox: what the simulated WhatsApp received. Rows are keyed
 * by the WhatsApp message id, as WhatsApp deduplicates: a resend of the same
 * id is counted in `resends`, never a second arrival. A resend under a new id
 * would be a second row, which is what tests look for.
 */
import { sql } from 'kysely';
import type { Store } from './database.js';
import { confirmedInTx, ownedByNode, type Fence } from './leases.js';
import type { InboxRow } from './schema.js';

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

export interface DueReceipt {
  id: number;
  message_id: string;
  part: number;
}

export class SandboxInboxStatements {
  /** `fence`: in a cluster, this node's leases: it receives and schedules receipts only for the instances it holds. */
  constructor(
    private readonly store: Store,
    private readonly fence?: Fence,
  ) {}

  /**
   * One statement per batch. A batch may hold the same id twice (a resend
   * right behind its send): it goes in once, its extra copies counted, since
   * one upsert cannot touch a row twice on PostgreSQL.
   */
  async record(arrivals: Arrival[]): Promise<void> {
    const unique = new Map<string, { arrival: Arrival; copies: number }>();
    for (const a of arrivals) {
      const seen = unique.get(a.providerId);
      if (seen === undefined) unique.set(a.providerId, { arrival: a, copies: 1 });
      else seen.copies++;
    }
    if (unique.size === 0) return;
    const rows = [...unique.values()].map(({ arrival: a, copies }) => ({
      instance_id: a.instanceId,
      provider_id: a.providerId,
      message_id: a.messageId,
      part: a.part,
      recipient: a.recipient,
      type: a.type,
      text: a.text,
      media_mime: a.mediaMime,
      media_size: a.mediaSize,
      media_sha256: a.mediaSha256,
      media_filename: a.mediaFilename,
      received_at: a.receivedAt,
      deliver_due: a.deliverDue,
      read_due: a.readDue,
      resends: copies - 1,
    }));
    const fence = this.fence;
    await this.store.writeTx(false, async (tx) => {
      // A node that lost an instance's lease sends nothing for it (the sandbox's "WhatsApp" is this table).
      const held =
        fence === undefined
          ? undefined
          : await confirmedInTx(
              tx,
              fence,
              rows.map((r) => r.instance_id),
            );
      const sent = held === undefined ? rows : rows.filter((r) => held.has(r.instance_id));
      if (sent.length === 0) return;
      await tx.db
        .insertInto('sandbox_inbox')
        .values(sent)
        .onConflict((oc) => oc.column('provider_id').doUpdateSet({ resends: sql<number>`sandbox_inbox.resends + 1 + excluded.resends` }))
        .execute();
    });
  }

  dueDeliveries(now: number, limit: number): Promise<DueReceipt[]> {
    return this.owned()
      .select(['id', 'message_id', 'part'])
      .where('delivered_at', 'is', null)
      .where('deliver_due', '<=', now)
      .orderBy('deliver_due')
      .limit(limit)
      .execute();
  }

  dueReads(now: number, limit: number): Promise<DueReceipt[]> {
    return this.owned()
      .select(['id', 'message_id', 'part'])
      .where('read_at', 'is', null)
      .where('delivered_at', 'is not', null)
      .where('read_due', 'is not', null)
      .where('read_due', '<=', now)
      .orderBy('read_due')
      .limit(limit)
      .execute();
  }

  /** The inbox rows of the instances this node holds (all of them on one node). */
  private owned() {
    const from = this.store.db.selectFrom('sandbox_inbox');
    const fence = this.fence;
    return fence === undefined ? from : from.where(ownedByNode('instance_id', fence.nodeId));
  }

  markDelivered(ids: number[], at: number): Promise<void> {
    return this.mark('delivered_at', ids, at);
  }

  markRead(ids: number[], at: number): Promise<void> {
    return this.mark('read_at', ids, at);
  }

  private async mark(column: 'delivered_at' | 'read_at', ids: number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.store.writeTx(false, ({ db }) =>
      db
        .updateTable('sandbox_inbox')
        .set({ [column]: at })
        .where('id', 'in', ids)
        .execute(),
    );
  }

  /** Newest first; `before` is the cursor (an inbox id) returned by the previous page. */
  list(instanceId: string, before: number | undefined, limit: number): Promise<InboxRow[]> {
    let query = this.store.db.selectFrom('sandbox_inbox').selectAll().where('instance_id', '=', instanceId);
    if (before !== undefined) query = query.where('id', '<', before);
    return query.orderBy('id', 'desc').limit(limit).execute();
  }
}
