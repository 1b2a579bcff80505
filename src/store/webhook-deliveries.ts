/**
 * The delivery side of the webhook outbox: the oldest pending event of each
 * enabled endpoint (per-endpoint order), outcomes, and the operator's views:
 * the delivery log, a retry, a replay from a time.
 */
import type { Store } from './database.js';
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

export class WebhookDeliveries {
  private readonly due;
  private readonly delivered;
  private readonly retry;
  private readonly dead;
  private readonly page;
  private readonly pageFirst;
  private readonly retryOne;
  private readonly replay;
  private readonly prune;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    // Walk endpoints, not events: a long backlog behind one dead receiver costs one lookup, not a scan.
    this.due = s.prepare<[string, number, number], DueEvent>(
      `SELECT e.id, e.event_id, e.instance_id, e.body, e.attempts
       FROM webhook_endpoints w
       JOIN webhook_events e ON e.id = (SELECT MIN(p.id) FROM webhook_events p WHERE p.instance_id = w.instance_id AND p.status = 'pending')
       WHERE w.enabled = 1 AND w.instance_id NOT IN (SELECT value FROM json_each(?)) AND e.next_attempt_at <= ?
       ORDER BY e.next_attempt_at LIMIT ?`,
    );
    this.delivered = s.prepare(`UPDATE webhook_events SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ?`);
    // A failed attempt counts only while the event is still pending: an attempt in flight
    // when the endpoint was deleted must not overwrite why the event was dropped.
    this.retry = s.prepare(`UPDATE webhook_events SET attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`);
    this.dead = s.prepare(`UPDATE webhook_events SET status = 'failed', attempts = attempts + 1, last_status = ?, last_error = ? WHERE id = ? AND status = 'pending'`);
    this.page = s.prepare<[string, number, number], WebhookEventRow>(`SELECT * FROM webhook_events WHERE instance_id = ? AND id < ? ORDER BY id DESC LIMIT ?`);
    this.pageFirst = s.prepare<[string, number], WebhookEventRow>(`SELECT * FROM webhook_events WHERE instance_id = ? ORDER BY id DESC LIMIT ?`);
    this.retryOne = s.prepare(
      `UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE id = ? AND instance_id = ?`,
    );
    this.replay = s.prepare(
      `UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE instance_id = ? AND created_at >= ?`,
    );
    this.prune = s.prepare(`DELETE FROM webhook_events WHERE status <> 'pending' AND created_at < ?`);
  }

  /** The head event of each endpoint that is due, skipping endpoints already being delivered to. */
  dueHeads(now: number, busy: readonly string[], limit: number): DueEvent[] {
    return this.due.all(JSON.stringify(busy), now, limit);
  }

  record(o: DeliveryOutcome): Promise<void> {
    return this.store.writeTx(false, () => {
      if (o.kind === 'delivered') this.delivered.run(o.status, o.at, o.id);
      else if (o.kind === 'retry') this.retry.run(o.status, o.error, o.nextAt, o.id);
      else this.dead.run(o.status, o.error, o.id);
    });
  }

  list(instanceId: string, before: number | undefined, limit: number): WebhookEventRow[] {
    return before === undefined ? this.pageFirst.all(instanceId, limit) : this.page.all(instanceId, before, limit);
  }

  /** Delivers one event again, with a fresh schedule. False if it is not this instance's. */
  retryNow(instanceId: string, id: number, now: number): Promise<boolean> {
    return this.store.writeTx(false, () => this.retryOne.run(now, id, instanceId).changes === 1);
  }

  /** Forgets delivered and dead-lettered events older than `before`. */
  pruneFinished(before: number): Promise<number> {
    return this.store.writeTx(false, () => this.prune.run(before).changes);
  }

  /** Delivers again every event created since `since` (receivers deduplicate by webhook-id). */
  replaySince(instanceId: string, since: number, now: number): Promise<number> {
    return this.store.writeTx(false, () => this.replay.run(now, instanceId, since).changes);
  }
}
