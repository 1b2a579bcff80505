/**
 * What a Cloud API webhook carries for one phone number, read defensively
 * (reference: cloud-api.md, "Webhooks"): statuses of the messages it sent,
 * messages people sent to it (text, media, and reactions as changes). Values
 * for another phone number, and fields Connexa does not know, are left out.
 */
import type { InboundChange, InboundMessage } from '../../domain/inbound.js';
import type { CloudStatusRow } from '../../store/cloud.js';

export interface CloudWebhookContent {
  statuses: CloudStatusRow[];
  messages: InboundMessage[];
  changes: InboundChange[];
}

type Obj = Record<string, unknown>;
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj).filter((o): o is Obj => o !== undefined) : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
/** Meta's timestamps are Unix seconds as strings. */
function millis(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n * 1000 : fallback;
}

function status(s: Obj, receivedAt: number): CloudStatusRow | undefined {
  const wamid = str(s['id']);
  const name = str(s['status']);
  if (wamid === undefined || name === undefined) return undefined;
  const error = list(s['errors'])[0];
  const details = str(obj(error?.['error_data'])?.['details']);
  const code = error?.['code'];
  return {
    wamid,
    status: name,
    at: millis(s['timestamp'], receivedAt),
    error_code: typeof code === 'number' ? code : null,
    error_reason: error === undefined ? null : ((details ?? str(error['message']) ?? str(error['title']) ?? null)?.slice(0, 400) ?? null),
  };
}

function message(m: Obj, names: Map<string, string>, receivedAt: number): InboundMessage | InboundChange | undefined {
  const from = str(m['from']);
  const id = str(m['id']);
  const type = str(m['type']);
  if (from === undefined || id === undefined || type === undefined) return undefined;
  const sender = { fromJid: `${from}@s.whatsapp.net`, phone: /^\d+$/.test(from) ? from : undefined, senderJid: `${from}@s.whatsapp.net`, group: undefined };
  const sentAt = millis(m['timestamp'], receivedAt);
  if (type === 'reaction') {
    const r = obj(m['reaction']);
    const target = str(r?.['message_id']);
    if (target === undefined) return undefined;
    return { ...sender, kind: 'reaction', providerId: id, targetId: target, at: sentAt, emoji: str(r?.['emoji']) };
  }
  const base = { ...sender, providerId: id, pushName: names.get(from), sentAt };
  const media = (MEDIA_TYPES as readonly string[]).includes(type) ? obj(m[type]) : undefined;
  const mediaId = str(media?.['id']);
  if (media !== undefined && mediaId !== undefined) {
    return {
      ...base,
      type: type as (typeof MEDIA_TYPES)[number],
      text: str(media['caption']),
      mediaMime: str(media['mime_type']) ?? 'application/octet-stream',
      mediaSize: undefined,
      mediaFilename: str(media['filename']),
      // What a later download needs: the media id (its URL is fetched with the token then).
      raw: Buffer.from(mediaId, 'utf8'),
    };
  }
  const text = type === 'text' ? str(obj(m['text'])?.['body']) : replyText(m);
  return { ...base, type: type === 'text' ? 'text' : 'other', text, mediaMime: undefined, mediaSize: undefined, mediaFilename: undefined, raw: undefined };
}

/** What a person chose or shared, as text: a button or list reply's title, a location's coordinates. */
function replyText(m: Obj): string | undefined {
  const interactive = obj(m['interactive']);
  const reply = obj(interactive?.['button_reply']) ?? obj(interactive?.['list_reply']);
  const location = obj(m['location']);
  if (location !== undefined && typeof location['latitude'] === 'number' && typeof location['longitude'] === 'number') {
    return `${location['latitude']},${location['longitude']}`;
  }
  return str(reply?.['title']) ?? str(obj(m['button'])?.['text']);
}

/** The content of a webhook body for `phoneNumberId`. */
export function readWebhook(body: unknown, phoneNumberId: string, receivedAt: number): CloudWebhookContent {
  const out: CloudWebhookContent = { statuses: [], messages: [], changes: [] };
  const root = obj(body);
  if (root?.['object'] !== 'whatsapp_business_account') return out;
  for (const entry of list(root['entry'])) {
    for (const change of list(entry['changes'])) {
      const value = obj(change['value']);
      if (change['field'] !== 'messages' || value === undefined) continue;
      if (str(obj(value['metadata'])?.['phone_number_id']) !== phoneNumberId) continue;
      const names = new Map<string, string>();
      for (const c of list(value['contacts'])) {
        const waId = str(c['wa_id']);
        const name = str(obj(c['profile'])?.['name']);
        if (waId !== undefined && name !== undefined) names.set(waId, name);
      }
      for (const s of list(value['statuses'])) {
        const row = status(s, receivedAt);
        if (row !== undefined) out.statuses.push(row);
      }
      for (const m of list(value['messages'])) {
        const read = message(m, names, receivedAt);
        if (read === undefined) continue;
        if ('kind' in read) out.changes.push(read);
        else out.messages.push(read);
      }
    }
  }
  return out;
}
