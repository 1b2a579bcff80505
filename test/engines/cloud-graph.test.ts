/**
 * The Cloud API client against the fake Graph server: every message type
 * goes out with the body Meta documents (files uploaded first, captions where
 * allowed, the document's name, OGG/Opus as a voice note, audio's text as a
 * second message), and every error row of the reference comes back as the
 * documented Connexa outcome, never carrying the token.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/engines/engine.js';
import { GraphClient } from '../../src/engines/cloud/graph-client.js';
import { codedFromGraph, GraphApiError } from '../../src/engines/cloud/graph-error.js';
import { cloudBodies } from '../../src/engines/cloud/message-body.js';
import { FakeGraphServer } from '../fakes/graph/server.js';

let graph: FakeGraphServer;
let client: GraphClient;

beforeEach(async () => {
  graph = await FakeGraphServer.start();
  client = new GraphClient({ graphUrl: graph.url, version: 'v25.0', phoneNumberId: graph.phoneNumberId, accessToken: graph.accessToken });
});
afterEach(() => graph.close());

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const message = (
  type: OutgoingMessage['type'],
  text: string | undefined,
  media?: { mime: string; filename?: string; voiceNote?: boolean },
): OutgoingMessage => ({
  messageId: `m-${type}`,
  instanceId: 'i',
  type,
  recipient: '5544999990000',
  text,
  media:
    media === undefined
      ? undefined
      : { kind: type === 'text' ? 'image' : type, bytes: PNG, mime: media.mime, sha256: 'x', filename: media.filename, voiceNote: media.voiceNote ?? false },
  attempt: 1,
});

/** Uploads the file (if any) and sends every body; the wamids. */
async function send(m: OutgoingMessage): Promise<string[]> {
  const mediaId = m.media === undefined ? undefined : await client.upload(m.media.bytes, m.media.mime, m.media.filename);
  const out: string[] = [];
  for (const body of cloudBodies(m, mediaId)) out.push((await client.send(body)).wamid);
  return out;
}

describe('the Cloud API client', () => {
  it('sends the five types with the bodies Meta documents', async () => {
    await send(message('text', 'Olá!'));
    await send(message('image', 'a photo', { mime: 'image/png' }));
    await send(message('video', 'a clip', { mime: 'video/mp4' }));
    await send(message('document', 'the invoice', { mime: 'application/pdf', filename: 'invoice.pdf' }));
    expect(await send(message('audio', 'listen', { mime: 'audio/ogg; codecs=opus', voiceNote: true }))).toHaveLength(2);
    await send(message('audio', undefined, { mime: 'audio/mpeg' }));
    const ids = [...graph.uploads.keys()];
    expect(graph.messages.map((m) => m.raw)).toEqual([
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'text', text: { body: 'Olá!' } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'image', image: { id: ids[0], caption: 'a photo' } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'video', video: { id: ids[1], caption: 'a clip' } },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+5544999990000',
        type: 'document',
        document: { id: ids[2], caption: 'the invoice', filename: 'invoice.pdf' },
      },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'audio', audio: { id: ids[3], voice: true } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'text', text: { body: 'listen' } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+5544999990000', type: 'audio', audio: { id: ids[4] } },
    ]);
    expect([...graph.uploads.values()].map((u) => u.mime)).toEqual(['image/png', 'video/mp4', 'application/pdf', 'audio/ogg; codecs=opus', 'audio/mpeg']);
  });

  it('keeps the wa_id WhatsApp gives the recipient', async () => {
    graph.waIds.set('5511987654321', '551187654321');
    expect(await client.send({ to: '+5511987654321', type: 'text', text: { body: 'oi' } })).toMatchObject({ waId: '551187654321' });
  });

  it('maps every error row of the reference to its Connexa outcome, without the token', async () => {
    const rows: [number, string, boolean][] = [
      [190, 'token_invalid', false],
      [100, 'provider_rejected', false],
      [131008, 'provider_rejected', false],
      [131009, 'provider_rejected', false],
      [131051, 'provider_rejected', false],
      [131026, 'recipient_not_on_whatsapp', false],
      [131047, 'outside_customer_window', false],
      [131053, 'media_rejected', false],
      [131056, 'pair_rate_limited', true],
      [130429, 'rate_limited', true],
      [4, 'rate_limited', true],
      [131000, 'provider_unavailable', true],
      [368, 'policy_blocked', false],
    ];
    for (const [code, connexa, transient] of rows) {
      graph.fail(code);
      const err = await client.send({ to: '+5544999990000', type: 'text', text: { body: 'x' } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GraphApiError);
      const coded = codedFromGraph(err as GraphApiError);
      expect([code, coded.code, coded.transient]).toEqual([code, connexa, transient]);
      expect(coded.message).toContain(`Cloud API error ${code}`);
      expect(coded.message).not.toContain(graph.accessToken);
    }
  });

  it('a wrong token is 190; an unreachable Graph is retried', async () => {
    const wrong = new GraphClient({ graphUrl: graph.url, version: 'v25.0', phoneNumberId: graph.phoneNumberId, accessToken: 'EAAGexpired' });
    const err = (await wrong.send({ to: '+5544999990000', type: 'text', text: { body: 'x' } }).catch((e: unknown) => e)) as GraphApiError;
    expect([err.status, codedFromGraph(err).code]).toEqual([401, 'token_invalid']);
    const down = new GraphClient({ graphUrl: 'http://127.0.0.1:9', version: 'v25.0', phoneNumberId: '1', accessToken: 'EAAGsecret' });
    const off = codedFromGraph((await down.send({ to: '+5544999990000', type: 'text', text: { body: 'x' } }).catch((e: unknown) => e)) as GraphApiError);
    expect([off.code, off.transient]).toEqual(['provider_unavailable', true]);
    expect(off.message).not.toContain('EAAGsecret');
  });

  it('looks a media id up and downloads the file with the token', async () => {
    const id = await client.upload(PNG, 'image/png', 'p.png');
    const info = await client.mediaInfo(id);
    expect(info).toMatchObject({ mimeType: 'image/png', size: PNG.length });
    const chunks: Buffer[] = [];
    for await (const c of await client.download(info.url)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(PNG);
    // Past the cap the stream fails rather than filling memory.
    const capped = await client.download(info.url, PNG.length - 1);
    await expect(async () => {
      for await (const _ of capped) void _;
    }).rejects.toThrow(/over/);
  });
});
