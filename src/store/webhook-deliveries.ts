/**
 * The delivery side of the webhook outbox: the oldest pending event of each
 * enabled endpoint (per-endpoint order), outcomes, and the operator's views:
 * the delivery log, a retry, a replay from a time.
 */
import { placeholders, type Store } from './database.js';
import { ownedBy } from './leases.js';
import type { WebhookEventRow } from './schema.js';

export interface DueEvent {
  id: number;
  event_id: string;
  instance_id: string;
  body: string;
  attempts: number;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; id: number; status: number; at: number }
  | { kind: 'retry'; id: number; status: number | null; error: string; at: number; nextAt: number }
  | { kind: 'dead'; id: number; status: number | null; error: string; at: number };

// Walk endpoints, not events: a long backlog behind one dead receiver costs one lookup, not a scan.
// In a cluster, only the endpoints of instances this node holds: one node delivers each instance's events, in order.
function dueSql(busy: number, cluster: boolean): string {
  return `SELECT e.id, e.event_id, e.instance_id, e.body, e.attempts
    FROM webhook_endpoints w
    JOIN webhook_events e ON e.id = (SELECT MIN(p.id) FROM webhook_events p WHERE p.instance_id = w.instance_id AND p.status = 'pending')
    WHERE w.enabled = 1${cluster ? ` AND ${ownedBy('w.instance_id')}` : ''}${
      busy === 0 ? '' : ` AND w.instance_id NOT IN (${placeholders(busy)})`
    } AND e.next_attempt_at <= ?
    ORDER BY e.next_attempt_at LIMIT ?`;
}
const DELIVERED = `UPDATE webhook_events SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ?`;
// A failed attempt counts only while the event is still pending: an attempt in flight
// when the endpoint was deleted must not overwrite why the event was dropped.
const RETRY = `UPDATE webhook_events SET attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`;
const DEAD = `UPDATE webhook_events SET status = 'failed', attempts = attempts + 1, last_status = ?, last_error = ? WHERE id = ? AND status = 'pending'`;
const PAGE = `SELECT * FROM webhook_events WHERE instance_id = ? AND id < ? ORDER BY id DESC LIMIT ?`;
const PAGE_FIRST = `SELECT * FROM webhook_events WHERE instance_id = ? ORDER BY id DESC LIMIT ?`;
const RETRY_ONE = `UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE id = ? AND instance_id = ?`;
const REPLAY = `UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE instance_id = ? AND created_at >= ?`;
const PRUNE = `DELETE FROM webhook_events WHERE status <> 'pending' AND created_at < ?`;

export class WebhookDeliveryStatements {
  /** `nodeId`: in a cluster, this node (it delivers for the instances whose lease it holds). */
  constructor(
    private readonly store: Store,
    private readonly nodeId?: string,
  ) {}

  /** The head event of each endpoint that is due, skipping endpoints already being delivered to. */
  dueHeads(now: number, busy: readonly string[], limit: number): Promise<DueEvent[]> {
    const owner = this.nodeId === undefined ? [] : [this.nodeId];
    return this.store.sql.all<DueEvent>(dueSql(busy.length, this.nodeId !== undefined), [...owner, ...busy, now, limit]);
  }

  record(o: DeliveryOutcome): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      if (o.kind === 'delivered') await tx.run(DELIVERED, [o.status, o.at, o.id]);
      else if (o.kind === 'retry') await tx.run(RETRY, [o.status, o.error, o.nextAt, o.id]);
      else await tx.run(DEAD, [o.status, o.error, o.id]);
    });
  }

  list(instanceId: string, before: number | undefined, limit: number): Promise<WebhookEventRow[]> {
    return before === undefined
      ? this.store.sql.all<WebhookEventRow>(PAGE_FIRST, [instanceId, limit])
      : this.store.sql.all<WebhookEventRow>(PAGE, [instanceId, before, limit]);
  }

  /** Delivers one event again, with a fresh schedule. False if it is not this instance's. */
  retryNow(instanceId: string, id: number, now: number): Promise<boolean> {
    return this.store.writeTx(false, async (tx) => (await tx.run(RETRY_ONE, [now, id, instanceId])) === 1);
  }

  /** Forgets delivered and dead-lettered events older than `before`. */
  pruneFinished(before: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(PRUNE, [before]));
  }

  /** Delivers again every event created since `since` (receivers deduplicate by webhook-id). */
  replaySince(instanceId: string, since: number, now: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(REPLAY, [now, instanceId, since]));
  }
}
