/**
 * Each Connexa message type becomes the exact content Baileys expects, and
 * Baileys itself (generateWAMessage, offline, with a fake upload) turns it into
 * the WhatsApp message we mean: caption, file name, voice note, sha256 of our bytes.
 */
import { createHash } from 'node:crypto';
import { generateWAMessage, type AnyMessageContent } from 'baileys';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { toContentParts, VOICE_NOTE_MIME, whatsappMessageId } from '../../src/engines/baileys/content.js';
import type { OutgoingMedia } from '../../src/engines/engine.js';
import { isoBmff, opus, pdf, png } from '../media/media-samples.js';

const id = '0190b6e2-7c1a-7d3e-8f00-123456789abc';
const base = { messageId: id, instanceId: 'i', recipient: '554499999999', attempt: 1 };
const media = (kind: OutgoingMedia['kind'], bytes: Uint8Array, mime: string, extra: Partial<OutgoingMedia> = {}): OutgoingMedia => ({
  kind,
  bytes: Buffer.from(bytes),
  mime,
  sha256: createHash('sha256').update(bytes).digest('hex'),
  filename: undefined,
  voiceNote: false,
  ...extra,
});
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');

async function generate(content: AnyMessageContent, messageId: string) {
  return generateWAMessage('554499999999@s.whatsapp.net', content, {
    userJid: '5544000000000@s.whatsapp.net',
    upload: async () => ({ mediaUrl: 'https://mmg.whatsapp.net/test', directPath: '/v/test' }),
    logger: pino({ level: 'silent' }),
    messageId,
  });
}

describe('message content for Baileys', () => {
  it("ids are derived in Baileys' format, stable per message and part", () => {
    expect(whatsappMessageId(id, 0)).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(whatsappMessageId(id, 0)).toBe(whatsappMessageId(id, 0));
    expect(whatsappMessageId(id, 1)).not.toBe(whatsappMessageId(id, 0));
  });

  it('text', async () => {
    const parts = toContentParts({ ...base, type: 'text', text: 'Hello from Connexa!', media: undefined });
    expect(parts).toEqual([{ messageId: whatsappMessageId(id, 0), content: { text: 'Hello from Connexa!' } }]);
    const msg = await generate(parts[0]!.content, parts[0]!.messageId);
    expect(msg.key.id).toBe(whatsappMessageId(id, 0));
    expect(msg.message?.extendedTextMessage?.text ?? msg.message?.conversation).toBe('Hello from Connexa!');
  });

  it('image with caption, from our bytes', async () => {
    const bytes = png();
    const [part] = toContentParts({ ...base, type: 'image', text: 'look', media: media('image', bytes, 'image/png') });
    expect(part?.content).toEqual({ image: Buffer.from(bytes), mimetype: 'image/png', caption: 'look' });
    const msg = await generate(part!.content, part!.messageId);
    expect(msg.message?.imageMessage).toMatchObject({ caption: 'look', mimetype: 'image/png' });
    expect(Buffer.from(msg.message?.imageMessage?.fileSha256 ?? []).toString('base64')).toBe(sha(bytes));
  });

  it('video with caption', async () => {
    const bytes = isoBmff('mp42');
    const [part] = toContentParts({ ...base, type: 'video', text: 'clip', media: media('video', bytes, 'video/mp4') });
    expect(part?.content).toEqual({ video: Buffer.from(bytes), mimetype: 'video/mp4', caption: 'clip' });
  });

  it('document keeps its file name and caption', async () => {
    const bytes = pdf();
    const [part] = toContentParts({ ...base, type: 'document', text: 'Q3', media: media('document', bytes, 'application/pdf', { filename: 'Q3 report.pdf' }) });
    const msg = await generate(part!.content, part!.messageId);
    expect(msg.message?.documentMessage).toMatchObject({ fileName: 'Q3 report.pdf', mimetype: 'application/pdf', caption: 'Q3' });
  });

  it('OGG/Opus audio goes as a voice note; its text follows as a second message', async () => {
    const bytes = opus();
    const parts = toContentParts({ ...base, type: 'audio', text: 'listen', media: media('audio', bytes, VOICE_NOTE_MIME, { voiceNote: true }) });
    expect(parts).toEqual([
      { messageId: whatsappMessageId(id, 0), content: { audio: Buffer.from(bytes), ptt: true, mimetype: VOICE_NOTE_MIME } },
      { messageId: whatsappMessageId(id, 1), content: { text: 'listen' } },
    ]);
    const msg = await generate(parts[0]!.content, parts[0]!.messageId);
    expect(msg.message?.audioMessage).toMatchObject({ ptt: true, mimetype: VOICE_NOTE_MIME });
  });

  it('other audio is a plain audio file, and without text there is one part', () => {
    const parts = toContentParts({ ...base, type: 'audio', text: undefined, media: media('audio', new Uint8Array([1, 2, 3]), 'audio/mpeg') });
    expect(parts).toEqual([{ messageId: whatsappMessageId(id, 0), content: { audio: Buffer.from([1, 2, 3]), ptt: false, mimetype: 'audio/mpeg' } }]);
  });
});
