/**
 * Media downloads run with bounded concurrency: eight URL images prepared at
 * once against a slow server never have more than `maxConcurrentDownloads`
 * requests open, and every one of them is downloaded and stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MediaPreparer } from '../../src/dispatch/media-preparer.js';
import type { Store } from '../../src/store/database.js';
import { MediaSpool } from '../../src/store/media-spool.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { DISPATCH_COLUMNS } from '../../src/store/schema.js';
import { tempDir } from '../helpers/gateway.js';
import { startFixture, type Fixture } from './http-fixture.js';
import { png } from './media-samples.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string | undefined;
let store: Store | undefined;
let fixture: Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  await store?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

it('never has more than maxConcurrentDownloads open, and downloads everything', async () => {
  dir = tempDir('connexa-media-conc-');
  const db = await openTestStore(dir);
  store = db;
  expect((await migrate(db)).ok).toBe(true);
  let open = 0;
  let maxOpen = 0;
  const bytes = Buffer.from(png());
  fixture = await startFixture((_req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    setTimeout(() => {
      open--;
      res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
    }, 80);
  });
  const ids = Array.from({ length: 8 }, (_, i) => `m${i}`);
  await new AcceptStatements(db).insert(
    ids.map((id) => ({
      id,
      instanceId: 'inst',
      type: 'image' as const,
      recipient: '554499999999',
      text: undefined,
      acceptedAt: Date.now(),
      media: {
        kind: 'image' as const,
        source: { kind: 'url' as const, url: `${fixture?.origin ?? ''}/${id}.png` },
        bytes: undefined,
        info: undefined,
        requestedFilename: undefined,
        requestedMime: undefined,
      },
    })),
  );
  const rows = await db.db
    .selectFrom('messages')
    .select([...DISPATCH_COLUMNS])
    .execute();
  const media = new MediaPreparer(db, MediaSpool.open(db, { dialect: 'sqlite', file: path.join(dir, 'db.sqlite') }), {
    globalMaxBytes: 1 << 20,
    fetchTimeoutMs: 10_000,
    allowPrivateNetworks: true,
    maxConcurrentDownloads: 3,
  });
  const prepared = await Promise.all(rows.map((row) => media.prepare(row)));
  expect(prepared.map((p) => p?.bytes.equals(bytes))).toEqual(ids.map(() => true));
  expect(maxOpen).toBe(3);
});
