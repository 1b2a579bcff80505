/**
 * Table types for Kysely. Timestamps are integer milliseconds since the epoch
 * (the same on SQLite and PostgreSQL); booleans are 0/1 integers.
 *
 * Glossary:
 * - message: one accepted send request; `seq` orders messages globally and so
 *   per recipient.
 * - outbox: the pending work for messages not yet sent or failed; one row per
 *   message, deleted when the message leaves the queue for good.
 * - lane: the pending messages of one (instance, recipient), sent one after
 *   another in `seq` order; claimed, retried and backed off as a unit.
 * - event: one step of a message's timeline (status changes, retries).
 * - sandbox inbox: what the simulated WhatsApp received, one row per arrival
 *   of a distinct WhatsApp message id.
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { MessageStatus } from '../domain/status.js';

export interface UsersTable {
  id: string;
  name: string;
  created_at: number;
}

export interface InstancesTable {
  id: string;
  user_id: string;
  name: string;
  engine: string;
  token_hash: string;
  created_at: number;
  /** Connection state of a WhatsApp session (see engines/baileys/session.ts). */
  state: Generated<string>;
  state_reason: string | null;
  state_since: number | null;
  /** The linked phone number (digits), once connected. */
  phone: string | null;
  /** Per-instance settings as JSON (src/domain/instance-config.ts). */
  config: string | null;
  /** WhatsApp restricts the number from starting new chats until then (epoch ms). */
  restricted_until: number | null;
}

/** People a WhatsApp number already has a chat with (a message delivered to them, or one from them). */
export interface WaContactsTable {
  instance_id: string;
  phone: string;
  first_at: number;
}

export interface MessagesTable {
  seq: Generated<number>;
  id: string;
  instance_id: string;
  type: string;
  recipient: string;
  text: string | null;
  media_kind: string | null;
  media_url: string | null;
  media_mime: string | null;
  media_size: number | null;
  media_sha256: string | null;
  media_filename: string | null;
  media_voice: number;
  requested_filename: string | null;
  requested_mime: string | null;
  status: MessageStatus;
  error_code: string | null;
  error_message: string | null;
  provider_id: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
  failed_at: number | null;
}

export interface MediaTable {
  message_id: string;
  bytes: Buffer;
}

export interface OutboxTable {
  message_id: string;
  instance_id: string;
  recipient: string;
  seq: number;
  attempts: number;
}

export interface DispatchCursorTable {
  name: string;
  /** The highest messages.seq already taken into the outbox. */
  seq: number;
}

export interface LanesTable {
  instance_id: string;
  recipient: string;
  run_at: number;
  /** Set while a dispatcher works on the lane; cleared on restart of the owner. */
  locked_by: string | null;
  locked_at: number | null;
}

export interface MessageEventsTable {
  id: Generated<number>;
  message_id: string;
  kind: string;
  at: number;
  code: string | null;
  detail: string | null;
}

export interface SandboxInboxTable {
  id: Generated<number>;
  instance_id: string;
  provider_id: string;
  message_id: string;
  part: number;
  recipient: string;
  type: string;
  text: string | null;
  media_mime: string | null;
  media_size: number | null;
  media_sha256: string | null;
  media_filename: string | null;
  received_at: number;
  deliver_due: number;
  delivered_at: number | null;
  read_due: number | null;
  read_at: number | null;
  resends: Generated<number>;
}

export interface InboundMessagesTable {
  id: Generated<number>;
  instance_id: string;
  provider_id: string;
  from_jid: string;
  phone: string | null;
  push_name: string | null;
  type: string;
  text: string | null;
  media_mime: string | null;
  media_size: number | null;
  media_filename: string | null;
  proto: Buffer | null;
  sent_at: number;
  received_at: number;
  /** In a group: the group's jid, and the member who wrote (`participant`). */
  group_jid: string | null;
  participant: string | null;
}

/** A large inline file in parts (`seq` from 0), written before its message's commit. */
export interface MediaPartsTable {
  message_id: string;
  seq: number;
  bytes: Buffer;
}

/** Reactions, edits and deletions received, once each. */
export interface InboundChangesTable {
  instance_id: string;
  provider_id: string;
  kind: string;
  target_id: string;
  created_at: number;
}

export interface WaSentTable {
  instance_id: string;
  provider_id: string;
  jid: string;
  proto: Buffer;
  created_at: number;
}

export interface WebhookEndpointsTable {
  instance_id: string;
  url: string;
  events: string | null;
  secret: Buffer;
  previous_secret: Buffer | null;
  previous_until: number | null;
  enabled: number;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  event_id: string;
  instance_id: string;
  type: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface EventLogTable {
  id: Generated<number>;
  instance_id: string;
  type: string;
  body: string;
  created_at: number;
}

export interface EventStreamsTable {
  subject: string;
  seen_at: number;
}

export interface WaCredsTable {
  instance_id: string;
  sealed: Buffer;
  updated_at: number;
}

export interface WaKeysTable {
  instance_id: string;
  type: string;
  id: string;
  sealed: Buffer;
}

export interface IdempotencyKeysTable {
  instance_id: string;
  key: string;
  request_hash: string;
  message_id: string;
  created_at: number;
}

export interface Database {
  users: UsersTable;
  instances: InstancesTable;
  wa_contacts: WaContactsTable;
  inbound_changes: InboundChangesTable;
  media_parts: MediaPartsTable;
  messages: MessagesTable;
  media: MediaTable;
  outbox: OutboxTable;
  lanes: LanesTable;
  dispatch_cursor: DispatchCursorTable;
  message_events: MessageEventsTable;
  sandbox_inbox: SandboxInboxTable;
  wa_creds: WaCredsTable;
  wa_keys: WaKeysTable;
  inbound_messages: InboundMessagesTable;
  wa_sent: WaSentTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  event_log: EventLogTable;
  event_streams: EventStreamsTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type MessageRow = Selectable<MessagesTable>;
export type NewMessageRow = Insertable<MessagesTable>;
/** The columns the dispatcher needs to send a message. */
export const DISPATCH_COLUMNS = [
  'id',
  'instance_id',
  'type',
  'recipient',
  'text',
  'media_kind',
  'media_url',
  'media_mime',
  'media_size',
  'media_sha256',
  'media_filename',
  'media_voice',
  'requested_filename',
  'requested_mime',
] as const;
export type DispatchRow = Pick<MessageRow, (typeof DISPATCH_COLUMNS)[number]>;
export type InstanceRow = Selectable<InstancesTable>;
export type InboxRow = Selectable<SandboxInboxTable>;
export type InboundRow = Selectable<InboundMessagesTable>;
export type WebhookEventRow = Selectable<WebhookEventsTable>;
export type EventRow = Selectable<MessageEventsTable>;
