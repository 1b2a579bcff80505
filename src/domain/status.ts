/**
 * The life of an outgoing message. Status only moves forward:
 * queued → sending → sent → delivered → read, or → failed from any state
 * before read. A message being retried stays `sending`. The rules are
 * enforced where status is written (the WHERE clauses in
 * src/store/status-transitions.ts); test/store/status-machine.test.ts checks them.
 */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
