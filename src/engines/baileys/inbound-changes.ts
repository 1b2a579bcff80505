/**
 * What people do to messages already sent: react (or take a reaction back),
 * edit, delete for everyone. Each refers to the original message by its
 * WhatsApp id; none is a message of its own. Other protocol messages (key
 * shares, history sync, ephemeral settings) are nothing to report.
 */
import { normalizeMessageContent, proto, type WAMessage } from 'baileys';
import type { InboundChange } from '../../domain/inbound.js';
import { senderOf, sentAtOf } from './inbound-map.js';

export type { InboundChange } from '../../domain/inbound.js';

const Type = proto.Message.ProtocolMessage.Type;

/** The text an edit puts in place (a text, or the caption of a media message). */
function editedText(message: proto.IMessage | null | undefined): string | undefined {
  const m = normalizeMessageContent(message);
  const text = m?.conversation ?? m?.extendedTextMessage?.text ?? m?.imageMessage?.caption ?? m?.videoMessage?.caption ?? m?.documentMessage?.caption;
  return text ?? undefined;
}

export function changeFromMessage(m: WAMessage): InboundChange | undefined {
  const sender = senderOf(m.key);
  const providerId = m.key.id;
  if (sender === undefined || typeof providerId !== 'string') return undefined;
  const content = normalizeMessageContent(m.message);
  const base = { ...sender, providerId, at: sentAtOf(m) };
  const reaction = content?.reactionMessage;
  if (typeof reaction?.key?.id === 'string') {
    return {
      ...base,
      kind: 'reaction',
      targetId: reaction.key.id,
      emoji: reaction.text === null || reaction.text === undefined || reaction.text === '' ? undefined : reaction.text,
    };
  }
  const protocol = content?.protocolMessage;
  const targetId = protocol?.key?.id;
  if (typeof targetId !== 'string') return undefined;
  if (protocol?.type === Type.REVOKE) return { ...base, kind: 'deleted', targetId };
  if (protocol?.type === Type.MESSAGE_EDIT) return { ...base, kind: 'edited', targetId, text: editedText(protocol.editedMessage) };
  return undefined;
}
