/**
 * Each instance's webhook endpoint: URL, subscribed event types and signing
 * secrets, sealed at rest. A new secret keeps the previous one valid for a
 * day, and deliveries are signed with both meanwhile, so receivers can rotate
 * without dropping events.
 */
import type { Sealer } from '../crypto/sealer.js';
import type { Store } from './database.js';
import type { WebhookEndpointsTable } from './schema.js';

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

type EndpointRow = Omit<WebhookEndpointsTable, 'instance_id' | 'created_at'>;

const READ = `SELECT url, events, secret, previous_secret, previous_until, enabled, disabled_reason, updated_at FROM webhook_endpoints WHERE instance_id = ?`;
const INSERT = `INSERT INTO webhook_endpoints (instance_id, url, events, secret, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)`;
const UPDATE = `UPDATE webhook_endpoints SET url = ?, events = ?, enabled = 1, disabled_reason = NULL, updated_at = ? WHERE instance_id = ?`;
// The old secret stays valid until `previous_until`.
const ROTATE = `UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?, secret = ? WHERE instance_id = ?`;
const REMOVE = `DELETE FROM webhook_endpoints WHERE instance_id = ?`;
// Undelivered events of a deleted endpoint must not go to a later, different URL.
const DROP_PENDING = `UPDATE webhook_events SET status = 'failed', last_error = 'The webhook endpoint was deleted' WHERE instance_id = ? AND status = 'pending'`;
const DISABLE = `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE instance_id = ?`;

export class WebhookEndpointStatements {
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
  ) {}

  async get(instanceId: string, now: number): Promise<Endpoint | undefined> {
    const row = await this.store.sql.get<EndpointRow>(READ, [instanceId]);
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
    return this.store.writeTx(true, async (tx) => {
      if ((await tx.get(READ, [instanceId])) === undefined) {
        if (sealed === null) throw new Error('a new endpoint needs a secret');
        await tx.run(INSERT, [instanceId, url, eventsJson, sealed, now, now]);
        return;
      }
      await tx.run(UPDATE, [url, eventsJson, now, instanceId]);
      if (sealed !== null) await tx.run(ROTATE, [now + SECRET_OVERLAP_MS, sealed, instanceId]);
    });
  }

  delete(instanceId: string): Promise<boolean> {
    return this.store.writeTx(true, async (tx) => {
      await tx.run(DROP_PENDING, [instanceId]);
      return (await tx.run(REMOVE, [instanceId])) === 1;
    });
  }

  /** The receiver answered 410 Gone: stop delivering until the endpoint is saved again. */
  disableGone(instanceId: string, reason: string, now: number): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      await tx.run(DISABLE, [reason, now, instanceId]);
    });
  }
}
