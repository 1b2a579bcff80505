/**
 * Large inline files are stored in parts ahead of their message's commit: read
 * back whole, gone with the message, removed when the message is not stored,
 * and parts a crash left without a message are removed at the next start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Acceptor } from '../../src/dispatch/acceptor.js';
import type { NewMessage } from '../../src/domain/message.js';
import { openStore, type Store } from '../../src/store/database.js';
import { AcceptStatements, getMediaBytes, MEDIA_PART_BYTES } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/gateway.js';

let dir: string;
let store: Store;

const image = (id: string, bytes: Buffer, key?: string): NewMessage => ({
  id, instanceId: 'inst', type: 'image', recipient: '554499999999', text: undefined, acceptedAt: Date.now(),
  media: { kind: 'image', source: { kind: 'inline' }, bytes, info: { mime: 'image/png', size: bytes.length, sha256: 'x', filename: undefined, voiceNote: false }, requestedFilename: undefined, requestedMime: undefined },
  ...(key !== undefined ? { idempotency: { key, requestHash: 'h' } } : {}),
});
const parts = async (id: string) => (await store.db.selectFrom('media_parts').select('seq').where('message_id', '=', id).execute()).length;
const inline = async (id: string) => (await store.db.selectFrom('media').select('message_id').where('message_id', '=', id).execute()).length;

beforeEach(async () => {
  dir = tempDir('connexa-parts-');
  store = openStore({ dialect: 'sqlite', file: path.join(dir, 'db.sqlite') });
  expect((await migrate(store.db)).ok).toBe(true);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('media parts', () => {
  it('a file over two parts is stored in parts and read back whole; a smaller one stays inline', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), () => {}, 86_400_000);
    const big = randomBytes(MEDIA_PART_BYTES * 2 + 123);
    const small = randomBytes(MEDIA_PART_BYTES * 2);
    expect(await acceptor.accept(image('big', big))).toBe('stored');
    expect(await acceptor.accept(image('small', small))).toBe('stored');
    expect(await parts('big')).toBe(3);
    expect(await inline('big')).toBe(0);
    expect((await getMediaBytes(store.db, 'big'))?.equals(big)).toBe(true);
    expect(await parts('small')).toBe(0);
    expect((await getMediaBytes(store.db, 'small'))?.equals(small)).toBe(true);
  });

  it('the parts of a message not stored (its idempotency key taken) are removed', async () => {
    const acceptor = new Acceptor(new AcceptStatements(store), () => {}, 86_400_000);
    expect(await acceptor.accept(image('first', randomBytes(10), 'k'))).toBe('stored');
    expect(await acceptor.accept(image('second', randomBytes(MEDIA_PART_BYTES * 2 + 1), 'k'))).toBe('key_taken');
    expect(await parts('second')).toBe(0);
  });

  it('parts without a message (a crash before the commit) are removed at the next start', async () => {
    const accept = new AcceptStatements(store);
    await accept.writeParts('ghost', randomBytes(MEDIA_PART_BYTES + 5));
    expect(await parts('ghost')).toBe(2);
    expect(await accept.dropOrphanParts()).toBe(2);
    expect(await parts('ghost')).toBe(0);
  });
});
