/**
 * A URL file is downloaded once: its type (from the bytes, or the server's
 * Content-Type for text formats without magic bytes), size, hash, file name and
 * voice-note flag are kept with the bytes, and a retry sends it from the store
 * without asking the server again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaPreparer } from '../../src/dispatch/media-preparer.js';
import type { MediaKind } from '../../src/media/kinds.js';
import type { Store } from '../../src/store/database.js';
import { MediaSpool } from '../../src/store/media-spool.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { DISPATCH_COLUMNS } from '../../src/store/schema.js';
import { tempDir } from '../helpers/gateway.js';
import { startFixture, type Fixture } from '../media/http-fixture.js';
import { opus } from '../media/media-samples.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
let fixture: Fixture;
const hits: string[] = [];
const CSV = Buffer.from('name,phone\nAna,5544999999999\n');
const OPUS = Buffer.from(opus());

beforeEach(async () => {
  dir = tempDir('connexa-prep-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  hits.length = 0;
  fixture = await startFixture((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/exports/contacts') res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(CSV);
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(OPUS);
  });
});
afterEach(async () => {
  await fixture.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function accept(id: string, kind: MediaKind, urlPath: string) {
  await new AcceptStatements(store).insert([
    {
      id,
      instanceId: 'inst',
      type: kind,
      recipient: '554499999999',
      text: undefined,
      acceptedAt: Date.now(),
      media: {
        kind,
        source: { kind: 'url', url: `${fixture.origin}${urlPath}` },
        bytes: undefined,
        info: undefined,
        requestedFilename: undefined,
        requestedMime: undefined,
      },
    },
  ]);
}
const row = async (id: string) =>
  store.db
    .selectFrom('messages')
    .select([...DISPATCH_COLUMNS])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const preparer = () =>
  new MediaPreparer(store, MediaSpool.open(store, { dialect: 'sqlite', file: path.join(dir, 'db.sqlite') }), {
    globalMaxBytes: 1 << 20,
    fetchTimeoutMs: 5_000,
    allowPrivateNetworks: true,
    maxConcurrentDownloads: 2,
  });

describe('MediaPreparer, a URL file', () => {
  it('a document without magic bytes takes its type from Content-Type, its name from the URL; kept, and a retry does not download again', async () => {
    await accept('d1', 'document', '/exports/contacts');
    const first = await preparer().prepare(await row('d1'));
    expect(first).toMatchObject({
      kind: 'document',
      mime: 'text/csv',
      filename: 'contacts.csv',
      voiceNote: false,
      sha256: createHash('sha256').update(CSV).digest('hex'),
    });
    expect(first?.bytes.equals(CSV)).toBe(true);
    expect(
      await store.db.selectFrom('messages').select(['media_mime', 'media_size', 'media_filename', 'media_voice']).where('id', '=', 'd1').executeTakeFirst(),
    ).toEqual({ media_mime: 'text/csv', media_size: CSV.length, media_filename: 'contacts.csv', media_voice: 0 });

    const again = await preparer().prepare(await row('d1'));
    expect(again).toEqual(first);
    expect(hits).toEqual(['/exports/contacts']);
  });

  it('OGG/Opus audio goes out as a voice note, also on a retry from the store', async () => {
    await accept('a1', 'audio', '/note.ogg');
    const first = await preparer().prepare(await row('a1'));
    expect(first).toMatchObject({ kind: 'audio', voiceNote: true, filename: undefined });
    const again = await preparer().prepare(await row('a1'));
    expect(again).toMatchObject({ voiceNote: true, mime: first?.mime });
    expect(hits).toHaveLength(1);
  });
});
