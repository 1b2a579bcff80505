/**
 * Each instance's webhook endpoint: URL, subscribed event types and signing
 * secrets, sealed at rest. A new secret keeps the previous one valid for a
 * day, and deliveries are signed with both meanwhile, so receivers can rotate
 * without dropping events.
 */
import type { Sealer } from '../crypto/sealer.js';
import type { Store } from './database.js';

export const SECRET_OVERLAP_MS = 24 * 60 * 60_000;

export interface Endpoint {
  url: string;
  events: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  /** Valid signing secrets, newest first. */
  secrets: string[];
  updatedAt: number;
}

export class WebhookEndpoints {
  private readonly read;
  private readonly insert;
  private readonly update;
  private readonly remove;
  private readonly disable;
  private readonly dropPending;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
  ) {
    const s = store.sqlite;
    this.read = s.prepare<[string], { url: string; events: string | null; secret: Buffer; previous_secret: Buffer | null; previous_until: number | null; enabled: number; disabled_reason: string | null; updated_at: number }>(
      `SELECT url, events, secret, previous_secret, previous_until, enabled, disabled_reason, updated_at FROM webhook_endpoints WHERE instance_id = ?`,
    );
    this.insert = s.prepare(
      `INSERT INTO webhook_endpoints (instance_id, url, events, secret, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)`,
    );
    this.update = s.prepare(
      `UPDATE webhook_endpoints SET url = ?, events = ?, secret = COALESCE(?, secret),
         previous_secret = CASE WHEN ? IS NULL THEN previous_secret ELSE secret END,
         previous_until = CASE WHEN ? IS NULL THEN previous_until ELSE ? END,
         enabled = 1, disabled_reason = NULL, updated_at = ?
       WHERE instance_id = ?`,
    );
    this.remove = s.prepare(`DELETE FROM webhook_endpoints WHERE instance_id = ?`);
    // Undelivered events of a deleted endpoint must not go to a later, different URL.
    this.dropPending = s.prepare(
      `UPDATE webhook_events SET status = 'failed', last_error = 'The webhook endpoint was deleted' WHERE instance_id = ? AND status = 'pending'`,
    );
    this.disable = s.prepare(`UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE instance_id = ?`);
  }

  get(instanceId: string, now: number): Endpoint | undefined {
    const row = this.read.get(instanceId);
    if (row === undefined) return undefined;
    const context = `${instanceId}/webhook-secret`;
    const secrets = [this.sealer.open(row.secret, context).toString('utf8')];
    if (row.previous_secret !== null && (row.previous_until ?? 0) > now) secrets.push(this.sealer.open(row.previous_secret, context).toString('utf8'));
    return {
      url: row.url,
      events: row.events === null ? null : (JSON.parse(row.events) as string[]),
      enabled: row.enabled === 1,
      disabledReason: row.disabled_reason,
      secrets,
      updatedAt: row.updated_at,
    };
  }

  /** Creates or updates the endpoint (and re-enables it). `secret` set: it becomes the signing secret. */
  put(instanceId: string, url: string, events: string[] | null, secret: string | undefined, now: number): Promise<void> {
    const sealed = secret === undefined ? null : this.sealer.seal(secret, `${instanceId}/webhook-secret`);
    const eventsJson = events === null ? null : JSON.stringify(events);
    return this.store.writeTx(true, () => {
      if (this.read.get(instanceId) === undefined) {
        if (sealed === null) throw new Error('a new endpoint needs a secret');
        this.insert.run(instanceId, url, eventsJson, sealed, now, now);
      } else {
        this.update.run(url, eventsJson, sealed, sealed, sealed, now + SECRET_OVERLAP_MS, now, instanceId);
      }
    });
  }

  delete(instanceId: string): Promise<boolean> {
    return this.store.writeTx(true, () => {
      this.dropPending.run(instanceId);
      return this.remove.run(instanceId).changes === 1;
    });
  }

  /** The receiver answered 410 Gone: stop delivering until the endpoint is saved again. */
  disableGone(instanceId: string, reason: string, now: number): Promise<void> {
    return this.store.writeTx(false, () => {
      this.disable.run(reason, now, instanceId);
    });
  }
}
