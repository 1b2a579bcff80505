/**
 * Events enter the event log, and the webhook outbox, in the same transaction
 * as the state change they report (pass that transaction). The outbox holds an
 * event only for an instance whose endpoint subscribes to its type, with the
 * exact body that will be signed and delivered (the same on every attempt);
 * the log holds the same body for the instances someone streams (the live
 * event stream). A status change of an instance with neither writes nothing.
 */
import type { Sql } from './database.js';
import { EventLogStatements, type EventLogFilter } from './event-log.js';

import type { WebhookEventType } from '../domain/webhook-events.js';

/**
 * One row per endpoint of the instance that subscribes to the type.
 * `events` is a JSON array of known type names (checked when saved), so the
 * quoted name appears in its text exactly when the endpoint subscribes to it.
 * Disabled endpoints (410) still collect events: they go out, in order, once
 * the endpoint is saved again.
 */
const INSERT = `INSERT INTO webhook_events (event_id, instance_id, type, body, status, attempts, next_attempt_at, created_at)
  SELECT ?, w.instance_id, ?, ?, 'pending', 0, ?, ? FROM webhook_endpoints w
  WHERE w.instance_id = ? AND (w.events IS NULL OR w.events LIKE ?)`;
// The message, and whether its instance has an endpoint: one primary-key read either way.
const MESSAGE = `SELECT m.instance_id, m.recipient, m.type, m.provider_id,
  EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.instance_id = m.instance_id) AS hooked FROM messages m WHERE m.id = ?`;

export class WebhookOutboxStatements {
  constructor(
    private readonly newId: () => string,
    /** Which instances' events go to the event log (the live stream's). */
    private readonly logged: EventLogFilter,
  ) {}

  /** A message changed status: `message.sent|delivered|read|failed`. */
  async message(
    tx: Sql,
    messageId: string,
    status: 'sent' | 'delivered' | 'read' | 'failed',
    at: number,
    error?: { code: string; message: string },
  ): Promise<void> {
    const m = await tx.get<{ instance_id: string; recipient: string; type: string; provider_id: string | null; hooked: number | boolean }>(MESSAGE, [
      messageId,
    ]);
    if (m === undefined) return;
    const hooked = m.hooked === true || Number(m.hooked) === 1;
    if (!hooked && !this.logged.wants(m.instance_id)) return;
    await this.insert(tx, m.instance_id, `message.${status}`, at, {
      message_id: messageId,
      phone: m.recipient,
      type: m.type,
      status,
      provider_message_id: m.provider_id,
      error: error === undefined ? null : { code: error.code, message: error.message },
    });
  }

  /** An instance event or a received message, with its data. */
  instance(tx: Sql, instanceId: string, type: WebhookEventType, at: number, data: Record<string, unknown>): Promise<void> {
    return this.insert(tx, instanceId, type, at, data);
  }

  private async insert(tx: Sql, instanceId: string, type: WebhookEventType, at: number, data: Record<string, unknown>): Promise<void> {
    const id = `evt_${this.newId()}`;
    const body = JSON.stringify({ id, type, created_at: new Date(at).toISOString(), instance_id: instanceId, data });
    if (this.logged.wants(instanceId)) await EventLogStatements.append(tx, instanceId, type, body, at);
    await tx.run(INSERT, [id, type, body, at, at, instanceId, `%"${type}"%`]);
  }
}
