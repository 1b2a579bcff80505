/** WhatsApp status updates and incoming messages, in Baileys' own shapes. */
import { proto, type WAMessage } from 'baileys';
import { describe, expect, it } from 'vitest';
import { changeFromMessage } from '../../src/engines/baileys/inbound-changes.js';
import { inboundFromMessage } from '../../src/engines/baileys/inbound-map.js';
import { receiptsFromUpdates } from '../../src/engines/baileys/receipt-map.js';

const S = proto.WebMessageInfo.Status;
const key = (id: string, fromMe = true, remoteJid = '5544999999999@s.whatsapp.net') => ({ id, fromMe, remoteJid });

describe('receipts', () => {
  it("maps delivery, read, played and errors; ignores acks and other people's messages", () => {
    expect(
      receiptsFromUpdates([
        { key: key('A'), update: { status: S.SERVER_ACK } },
        { key: key('A'), update: { status: S.DELIVERY_ACK } },
        { key: { ...key('B'), remoteJid: '123456789@lid' }, update: { status: S.READ } },
        { key: key('C'), update: { status: S.PLAYED } },
        { key: key('D'), update: { status: S.ERROR, messageStubParameters: ['463'] } },
        { key: key('E'), update: { status: S.ERROR } },
        { key: key('F', false), update: { status: S.READ } },
        { key: key('G'), update: { starred: true } },
      ]),
    ).toEqual([
      { providerId: 'A', status: 'delivered' },
      { providerId: 'B', status: 'read' },
      { providerId: 'C', status: 'read' },
      { providerId: 'D', status: 'failed', code: 'reachout_timelock', reason: expect.stringMatching(/463/) },
      { providerId: 'E', status: 'failed', code: 'whatsapp_error', reason: expect.any(String) },
    ]);
  });
});

describe('inbound messages', () => {
  const at = 1_700_000_000;
  const inbound = (message: proto.IMessage, over: Partial<WAMessage> = {}): WAMessage => ({
    key: key('IN1', false),
    message,
    messageTimestamp: at,
    pushName: 'Ana',
    ...over,
  });

  it('text, from a phone chat or an @lid chat with the phone alongside', () => {
    expect(inboundFromMessage(inbound({ conversation: 'oi' }))).toMatchObject({
      providerId: 'IN1',
      phone: '5544999999999',
      pushName: 'Ana',
      type: 'text',
      text: 'oi',
      sentAt: at * 1000,
    });
    const lid = inbound(
      { extendedTextMessage: { text: 'link https://x' } },
      { key: { id: 'IN2', fromMe: false, remoteJid: '123@lid', remoteJidAlt: '5544988887777@s.whatsapp.net' } },
    );
    expect(inboundFromMessage(lid)).toMatchObject({ fromJid: '123@lid', phone: '5544988887777', text: 'link https://x' });
  });

  it('media metadata with caption and file name', () => {
    expect(inboundFromMessage(inbound({ imageMessage: { mimetype: 'image/jpeg', fileLength: 2048, caption: 'foto' } }))).toMatchObject({
      type: 'image',
      text: 'foto',
      mediaMime: 'image/jpeg',
      mediaSize: 2048,
    });
    expect(inboundFromMessage(inbound({ documentMessage: { mimetype: 'application/pdf', fileLength: 10, fileName: 'nota.pdf' } }))).toMatchObject({
      type: 'document',
      mediaFilename: 'nota.pdf',
    });
  });

  it('skips our own messages, status broadcasts and undecryptable stubs', () => {
    expect(inboundFromMessage(inbound({ conversation: 'mine' }, { key: key('X', true) }))).toBeUndefined();
    expect(inboundFromMessage(inbound({ conversation: 'story' }, { key: key('Y', false, 'status@broadcast') }))).toBeUndefined();
    expect(inboundFromMessage({ key: key('Z', false), messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT })).toBeUndefined();
  });

  it('reactions, edits and deletions are changes to another message, not messages; a reaction taken back has no emoji', () => {
    const Type = proto.Message.ProtocolMessage.Type;
    const target = { id: 'T1', remoteJid: '5544999999999@s.whatsapp.net', fromMe: true };
    const removed = inbound({ reactionMessage: { key: target, text: '' } });
    expect(inboundFromMessage(removed)).toBeUndefined();
    expect(changeFromMessage(removed)).toMatchObject({ kind: 'reaction', targetId: 'T1', emoji: undefined, phone: '5544999999999' });
    // An edit of a media caption; an edit wrapped as WhatsApp sends it from newer phones.
    const caption = inbound({ protocolMessage: { type: Type.MESSAGE_EDIT, key: target, editedMessage: { imageMessage: { caption: 'nova legenda' } } } });
    expect(changeFromMessage(caption)).toMatchObject({ kind: 'edited', targetId: 'T1', text: 'nova legenda' });
    const wrapped = inbound({
      editedMessage: { message: { protocolMessage: { type: Type.MESSAGE_EDIT, key: target, editedMessage: { conversation: 'novo' } } } },
    });
    expect(inboundFromMessage(wrapped)).toBeUndefined();
    expect(changeFromMessage(wrapped)).toMatchObject({ kind: 'edited', text: 'novo' });
    expect(changeFromMessage(inbound({ protocolMessage: { type: Type.HISTORY_SYNC_NOTIFICATION } }))).toBeUndefined();
    expect(changeFromMessage(inbound({ conversation: 'plain' }))).toBeUndefined();
  });

  it('a group message without its member is skipped (no sender to name)', () => {
    expect(inboundFromMessage(inbound({ conversation: 'x' }, { key: { id: 'G', fromMe: false, remoteJid: '1203@g.us' } }))).toBeUndefined();
  });
});
