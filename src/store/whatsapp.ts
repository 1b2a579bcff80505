/**
 * What the WhatsApp engine keeps besides its session keys: each instance's
 * connection state, the mapping from WhatsApp ids back to our messages, and
 * the messages people send to the linked number.
 */
import { parseInstanceConfig } from '../domain/instance-config.js';
import type { InboundChange, InboundMessage } from '../domain/inbound.js';
import type { PacingSettings } from '../domain/pacing.js';
import type { SessionSnapshot } from '../domain/session.js';
import type { Store } from './database.js';
import type { WebhookOutboxStatements } from './webhook-outbox.js';
import type { InboundRow } from './schema.js';

/** Where a received file can be downloaded (instance credentials required). */
export function inboundMediaPath(id: number): string {
  return `/api/v1/messages/inbound/${id}/media`;
}

const STATE = `UPDATE instances SET state = ?, state_reason = ?, state_since = ?, phone = COALESCE(?, phone) WHERE id = ?`;
const BY_PROVIDER_ID = `SELECT id, recipient FROM messages WHERE provider_id = ? AND instance_id = ?`;
const CONTACT = `SELECT 1 AS one FROM wa_contacts WHERE instance_id = ? AND phone = ?`;
const ADD_CONTACT = `INSERT INTO wa_contacts (instance_id, phone, first_at) VALUES (?, ?, ?) ON CONFLICT (instance_id, phone) DO NOTHING`;
const RESTRICTION = `UPDATE instances SET restricted_until = ? WHERE id = ?`;
const RESTRICTED_UNTIL = `SELECT restricted_until FROM instances WHERE id = ?`;
const INBOUND = `INSERT INTO inbound_messages (instance_id, provider_id, from_jid, phone, push_name, type, text, media_mime, media_size,
    media_filename, proto, sent_at, received_at, group_jid, participant)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id, provider_id) DO NOTHING RETURNING id`;
const CHANGE = `INSERT INTO inbound_changes (instance_id, provider_id, kind, target_id, created_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (instance_id, provider_id) DO NOTHING`;
const REFRESH_PROTO = `UPDATE inbound_messages SET proto = ? WHERE id = ? AND instance_id = ?`;
const EDIT_TEXT = `UPDATE inbound_messages SET text = ? WHERE instance_id = ? AND provider_id = ?`;
const MEDIA_ROW = `SELECT proto, media_mime, media_filename FROM inbound_messages WHERE id = ? AND instance_id = ?`;
const PAGE = `SELECT * FROM inbound_messages WHERE instance_id = ? AND id < ? ORDER BY id DESC LIMIT ?`;
const PAGE_FIRST = `SELECT * FROM inbound_messages WHERE instance_id = ? ORDER BY id DESC LIMIT ?`;
const SAVE_SENT = `INSERT INTO wa_sent (instance_id, provider_id, jid, proto, created_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (instance_id, provider_id) DO NOTHING`;
const READ_SENT = `SELECT jid, proto FROM wa_sent WHERE instance_id = ? AND provider_id = ?`;
const SET_PROVIDER = `UPDATE messages SET provider_id = COALESCE(provider_id, ?) WHERE id = ?`;
const PRUNE = `DELETE FROM wa_sent WHERE created_at < ?`;
const CONFIG = `SELECT config FROM instances WHERE id = ?`;
// Not the ones a person must act on first: banned, failed (e.g. replaced by another connection), logged out.
const LINKED = `SELECT i.id FROM instances i JOIN wa_creds c ON c.instance_id = i.id
  WHERE i.engine = 'baileys' AND i.state NOT IN ('banned', 'failed', 'logged_out') ORDER BY i.created_at`;
const STORED = `SELECT state, state_reason, state_since, phone, restricted_until FROM instances WHERE id = ?`;

interface StoredRow {
  state: string;
  state_reason: string | null;
  state_since: number | null;
  phone: string | null;
  restricted_until: number | null;
}

export class WhatsAppStatements {
  constructor(
    private readonly store: Store,
    private readonly webhooks?: WebhookOutboxStatements,
  ) {}

  saveState(instanceId: string, snap: SessionSnapshot): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      const before = (await tx.get<StoredRow>(STORED, [instanceId]))?.state;
      await tx.run(STATE, [snap.state, snap.reason ?? null, snap.since, snap.phone ?? null, instanceId]);
      // One event per change of state (each new QR code is a change of its own).
      if (before === snap.state && snap.state !== 'qr') return;
      if (snap.state === 'qr' && snap.qr !== undefined) {
        await this.webhooks?.instance(tx, instanceId, 'instance.qr', snap.since, { qr: snap.qr.code, expires_at: new Date(snap.qr.expiresAt).toISOString() });
      } else if (snap.state === 'connected') {
        await this.webhooks?.instance(tx, instanceId, 'instance.connected', snap.since, { phone: snap.phone ?? null });
      } else if (snap.state === 'logged_out') {
        await this.webhooks?.instance(tx, instanceId, 'instance.logged_out', snap.since, { reason: snap.reason ?? null });
      } else if (snap.state === 'disconnected' || snap.state === 'banned' || snap.state === 'failed') {
        await this.webhooks?.instance(tx, instanceId, 'instance.disconnected', snap.since, { state: snap.state, reason: snap.reason ?? null });
      }
    });
  }

  /** Our messages (id and recipient) for WhatsApp ids this instance sent under (unknown ones are left out). */
  async messageIds(instanceId: string, providerIds: string[]): Promise<Map<string, { id: string; recipient: string }>> {
    const out = new Map<string, { id: string; recipient: string }>();
    for (const p of providerIds) {
      const row = await this.store.sql.get<{ id: string; recipient: string }>(BY_PROVIDER_ID, [p, instanceId]);
      if (row !== undefined) out.set(p, row);
    }
    return out;
  }

  /** Whether the number already has a chat with `phone` (a message delivered to them, or one from them). */
  async knowsContact(instanceId: string, phone: string): Promise<boolean> {
    return (await this.store.sql.get(CONTACT, [instanceId, phone])) !== undefined;
  }

  /** Records people the number now has a chat with. */
  addContacts(instanceId: string, phones: string[], at: number): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      for (const phone of phones) await tx.run(ADD_CONTACT, [instanceId, phone, at]);
    });
  }

  /**
   * Until when WhatsApp restricts the number from starting new chats
   * (undefined: not restricted), with `instance.restricted` when it starts
   * or its end moves and `instance.unrestricted` when it is lifted.
   */
  saveRestriction(instanceId: string, until: number | undefined, at: number): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      const before = (await tx.get<{ restricted_until: number | null }>(RESTRICTED_UNTIL, [instanceId]))?.restricted_until ?? null;
      const next = until ?? null;
      if (before === next) return;
      await tx.run(RESTRICTION, [next, instanceId]);
      if (next !== null) await this.webhooks?.instance(tx, instanceId, 'instance.restricted', at, { until: new Date(next).toISOString() });
      else await this.webhooks?.instance(tx, instanceId, 'instance.unrestricted', at, {});
    });
  }

  /** Until when the number was last known to be restricted from new chats. */
  async storedRestriction(instanceId: string): Promise<number | undefined> {
    return (await this.store.sql.get<{ restricted_until: number | null }>(RESTRICTED_UNTIL, [instanceId]))?.restricted_until ?? undefined;
  }

  /** Stores received messages; a repeat of the same WhatsApp id is ignored. */
  saveInbound(instanceId: string, messages: InboundMessage[], receivedAt: number): Promise<void> {
    return this.store.writeTx(true, async (tx) => {
      for (const m of messages) {
        const stored = await tx.get<{ id: number }>(INBOUND, [
          instanceId,
          m.providerId,
          m.fromJid,
          m.phone ?? null,
          m.pushName ?? null,
          m.type,
          m.text ?? null,
          m.mediaMime ?? null,
          m.mediaSize ?? null,
          m.mediaFilename ?? null,
          m.raw === undefined ? null : Buffer.from(m.raw),
          m.sentAt,
          receivedAt,
          m.group ?? null,
          m.group === undefined ? null : m.senderJid,
        ]);
        if (stored === undefined) continue;
        if (m.phone !== undefined) await tx.run(ADD_CONTACT, [instanceId, m.phone, receivedAt]);
        await this.webhooks?.instance(tx, instanceId, 'message.received', receivedAt, {
          provider_message_id: m.providerId,
          from: m.fromJid,
          phone: m.phone ?? null,
          name: m.pushName ?? null,
          type: m.type,
          group: m.group ?? null,
          participant: m.group === undefined ? null : m.senderJid,
          text: m.text ?? null,
          sent_at: new Date(m.sentAt).toISOString(),
          media:
            m.mediaMime === undefined
              ? null
              : { mime: m.mediaMime, size: m.mediaSize ?? null, filename: m.mediaFilename ?? null, download_url: inboundMediaPath(stored.id) },
        });
      }
    });
  }

  /**
   * Records reactions, edits and deletions, each reported once (`message.reaction`,
   * `message.edited`, `message.deleted`) with the WhatsApp id of the message it is
   * about, and our message_id when that message is one this instance sent. An
   * edit also replaces the stored text of the message it edits.
   */
  saveChanges(instanceId: string, changes: InboundChange[], receivedAt: number): Promise<void> {
    return this.store.writeTx(true, async (tx) => {
      for (const c of changes) {
        if ((await tx.run(CHANGE, [instanceId, c.providerId, c.kind, c.targetId, receivedAt])) !== 1) continue;
        if (c.kind === 'edited' && c.text !== undefined) await tx.run(EDIT_TEXT, [c.text, instanceId, c.targetId]);
        const ours = await tx.get<{ id: string }>(BY_PROVIDER_ID, [c.targetId, instanceId]);
        const data = {
          provider_message_id: c.targetId,
          message_id: ours?.id ?? null,
          from: c.fromJid,
          phone: c.phone ?? null,
          group: c.group ?? null,
          participant: c.group === undefined ? null : c.senderJid,
          at: new Date(c.at).toISOString(),
        };
        if (c.kind === 'reaction') await this.webhooks?.instance(tx, instanceId, 'message.reaction', receivedAt, { ...data, emoji: c.emoji ?? null });
        else if (c.kind === 'edited') await this.webhooks?.instance(tx, instanceId, 'message.edited', receivedAt, { ...data, text: c.text ?? null });
        else await this.webhooks?.instance(tx, instanceId, 'message.deleted', receivedAt, data);
      }
    });
  }

  /** Keeps a received media message as WhatsApp re-issued it (the file's new location on its media servers). */
  refreshInboundMedia(instanceId: string, id: number, encoded: Buffer): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      await tx.run(REFRESH_PROTO, [encoded, id, instanceId]);
    });
  }

  /** A received media message, for downloading its file. */
  async inboundMedia(instanceId: string, id: number): Promise<{ proto: Buffer; mime: string | null; filename: string | null } | undefined> {
    const row = await this.store.sql.get<{ proto: Buffer | null; media_mime: string | null; media_filename: string | null }>(MEDIA_ROW, [id, instanceId]);
    return row === undefined || row.proto === null ? undefined : { proto: row.proto, mime: row.media_mime, filename: row.media_filename };
  }

  /** Newest first; `before` is the cursor returned by the previous page. */
  listInbound(instanceId: string, before: number | undefined, limit: number): Promise<InboundRow[]> {
    return before === undefined
      ? this.store.sql.all<InboundRow>(PAGE_FIRST, [instanceId, limit])
      : this.store.sql.all<InboundRow>(PAGE, [instanceId, before, limit]);
  }

  /**
   * Records the WhatsApp id a message goes out under, before it is sent, so a
   * receipt that overtakes the record of the send still finds the message.
   */
  willSend(messageId: string, providerId: string): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      await tx.run(SET_PROVIDER, [providerId, messageId]);
    });
  }

  /** Keeps a sent message (encoded proto) to answer retry requests for it. */
  rememberSent(instanceId: string, providerId: string, jid: string, encoded: Uint8Array, at: number): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      await tx.run(SAVE_SENT, [instanceId, providerId, jid, Buffer.from(encoded), at]);
    });
  }

  /** A message this instance sent, only for the chat it was sent to (phone chats; `@lid` chats are trusted to WhatsApp). */
  async sentMessage(instanceId: string, providerId: string, askingJid?: string): Promise<Buffer | undefined> {
    const row = await this.store.sql.get<{ jid: string; proto: Buffer }>(READ_SENT, [instanceId, providerId]);
    if (row === undefined) return undefined;
    if (askingJid !== undefined && askingJid.endsWith('@s.whatsapp.net') && askingJid.split(/[:@]/)[0] !== row.jid.split(/[:@]/)[0]) return undefined;
    return row.proto;
  }

  /** Forgets sent messages older than `before` (recipients ask for retries within minutes, not days). */
  pruneSent(before: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(PRUNE, [before]));
  }

  /** The pacing of an instance (defaults when it set none). */
  async pacing(instanceId: string): Promise<PacingSettings> {
    const raw = (await this.store.sql.get<{ config: string | null }>(CONFIG, [instanceId]))?.config;
    return parseInstanceConfig(raw === null || raw === undefined ? undefined : JSON.parse(raw)).pacing;
  }

  /** The state last saved for an instance, or undefined when the instance is gone. */
  async storedState(
    instanceId: string,
  ): Promise<{ state: string; reason: string | null; since: number | null; phone: string | null; restrictedUntil?: number } | undefined> {
    const row = await this.store.sql.get<StoredRow>(STORED, [instanceId]);
    return row === undefined
      ? undefined
      : {
          state: row.state,
          reason: row.state_reason,
          since: row.state_since,
          phone: row.phone,
          ...(row.restricted_until !== null ? { restrictedUntil: row.restricted_until } : {}),
        };
  }

  /** `baileys` instances with a stored session: those to reconnect at boot. */
  async linkedInstances(): Promise<string[]> {
    return (await this.store.sql.all<{ id: string }>(LINKED)).map((r) => r.id);
  }
}
