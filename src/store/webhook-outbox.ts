/**
 * Webhook events enter the outbox in the same transaction as the state change
 * they report: call these inside `writeTx`. An event is stored only for an
 * instance whose endpoint subscribes to its type, with the exact body
 * that will be signed and delivered (the same on every attempt).
 */
import type { Store } from './database.js';

export const WEBHOOK_EVENT_TYPES = [
  'message.sent', 'message.delivered', 'message.read', 'message.failed', 'message.received',
  'message.reaction', 'message.edited', 'message.deleted',
  'instance.qr', 'instance.connected', 'instance.disconnected', 'instance.logged_out',
  'instance.restricted', 'instance.unrestricted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(s: string): s is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);
}

// Disabled endpoints (410) still collect events: they go out, in order, once the endpoint is saved again.
const SUBSCRIBED = `(w.events IS NULL OR EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = @type))`;

export class WebhookOutbox {
  private readonly forMessage;
  private readonly forInstance;

  constructor(
    store: Store,
    private readonly newId: () => string,
  ) {
    const s = store.sqlite;
    // The envelope is built by SQL from the message row, so a status change costs one statement.
    this.forMessage = s.prepare(
      `INSERT INTO webhook_events (event_id, instance_id, type, body, status, attempts, next_attempt_at, created_at)
       SELECT @id, m.instance_id, @type,
         json_object('id', @id, 'type', @type, 'created_at', @createdAt, 'instance_id', m.instance_id,
           'data', json_object('message_id', m.id, 'phone', m.recipient, 'type', m.type, 'status', @status,
             'provider_message_id', m.provider_id,
             'error', json(CASE WHEN @code IS NULL THEN NULL ELSE json_object('code', @code, 'message', @message) END))),
         'pending', 0, @at, @at
       FROM messages m JOIN webhook_endpoints w ON w.instance_id = m.instance_id
       WHERE m.id = @messageId AND ${SUBSCRIBED}`,
    );
    this.forInstance = s.prepare(
      `INSERT INTO webhook_events (event_id, instance_id, type, body, status, attempts, next_attempt_at, created_at)
       SELECT @id, w.instance_id, @type, @body, 'pending', 0, @at, @at FROM webhook_endpoints w WHERE w.instance_id = @instanceId AND ${SUBSCRIBED}`,
    );
  }

  /** A message changed status: `message.sent|delivered|read|failed`. Call inside a write transaction. */
  message(messageId: string, status: 'sent' | 'delivered' | 'read' | 'failed', at: number, error?: { code: string; message: string }): void {
    this.forMessage.run({
      id: `evt_${this.newId()}`, type: `message.${status}`, createdAt: new Date(at).toISOString(), status,
      code: error?.code ?? null, message: error?.message ?? null, at, messageId,
    });
  }

  /** An instance event or a received message, with its data. Call inside a write transaction. */
  instance(instanceId: string, type: WebhookEventType, at: number, data: Record<string, unknown>): void {
    const id = `evt_${this.newId()}`;
    const body = JSON.stringify({ id, type, created_at: new Date(at).toISOString(), instance_id: instanceId, data });
    this.forInstance.run({ id, type, body, at, instanceId });
  }
}
