/** The events a webhook (and the live event stream) reports; the dashboard lists them too. */
export const WEBHOOK_EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.received',
  'message.reaction',
  'message.edited',
  'message.deleted',
  'instance.qr',
  'instance.connected',
  'instance.disconnected',
  'instance.logged_out',
  'instance.restricted',
  'instance.unrestricted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(s: string): s is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);
}
