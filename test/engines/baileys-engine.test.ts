/** The baileys engine's send path against a connected session on a fake socket. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { CodedError } from '../../src/domain/errors.js';
import { AuthStore } from '../../src/engines/baileys/auth-store.js';
import { whatsappMessageId } from '../../src/engines/baileys/content.js';
import { BaileysEngine, type SentLog } from '../../src/engines/baileys/engine.js';
import { RecipientResolver } from '../../src/engines/baileys/recipient-resolver.js';
import type { Clock, PacingSettings } from '../../src/engines/baileys/pacer.js';
import { WhatsAppSession } from '../../src/engines/baileys/session.js';
import type { OutgoingMessage } from '../../src/engines/engine.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { FakeSocket } from '../helpers/fake-socket.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';
import { WhatsAppAuthStatements } from '../../src/store/whatsapp-auth.js';

let dir: string;
let store: Store;
let session: WhatsAppSession;
let socket: FakeSocket;
let engine: BaileysEngine;
let instanceId: string;
let pacing: PacingSettings = { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false };
let time = 1_000_000;
let slept: number[] = [];
let clock: Clock;
const noLog: SentLog = { willSend: async () => {}, sent: () => {} };

const msg = (over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  messageId: '0190b6e2-7c1a-7d3e-8f00-123456789abc',
  instanceId,
  type: 'text',
  recipient: '554499999999',
  text: 'hi',
  media: undefined,
  attempt: 1,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<CodedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a CodedError');
}

beforeEach(async () => {
  dir = tempDir('connexa-wa-engine-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'wa', 'sandbox')).instance_id;
  let sockets = 0;
  session = new WhatsAppSession({
    instanceId,
    auth: new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32))),
    connect: (auth) => {
      socket = new FakeSocket(auth);
      sockets += 1;
      return socket;
    },
    onChange: () => {},
    logger: pino({ level: 'silent' }),
  });
  clock = {
    now: () => time,
    sleep: async (ms) => {
      slept.push(ms);
      time += ms;
    },
  };
  slept = [];
  engine = new BaileysEngine(
    { get: (id) => (id === instanceId ? session : undefined), onConnected: () => {}, restrictedUntil: () => undefined, knowsContact: async () => false },
    new RecipientResolver(),
    async () => pacing,
    noLog,
    clock,
  );
  session.start();
  // The session reads its stored state before its first socket exists.
  await waitFor(async () => (sockets > 0 ? true : undefined), 5_000, 'the first socket');
});

afterEach(async () => {
  session.stop();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('baileys engine send', () => {
  it('resolves a Brazilian number in one lookup and sends to the id WhatsApp knows, under the derived id', async () => {
    socket.open();
    socket.registered.add('5544999999999'); // the account has the ninth digit
    const result = await engine.send(msg({ recipient: '554499999999' }));
    expect(socket.lookups).toEqual([['5544999999999', '554499999999']]);
    expect(socket.sent).toEqual([{ jid: '5544999999999@s.whatsapp.net', content: { text: 'hi' }, messageId: whatsappMessageId(msg().messageId, 0) }]);
    expect(result.providerId).toBe(whatsappMessageId(msg().messageId, 0));
    // The answer is cached per instance: the next send does not look up again.
    await engine.send(msg({ messageId: '0190b6e2-7c1a-7d3e-8f00-000000000001' }));
    expect(socket.lookups).toHaveLength(1);
  });

  it('keeps what was sent, under its WhatsApp id, to answer retry requests', async () => {
    const kept: { instanceId: string; jid: string; id: string | null | undefined; text: string | null | undefined }[] = [];
    const before: string[] = [];
    engine = new BaileysEngine(
      { get: () => session, onConnected: () => {}, restrictedUntil: () => undefined, knowsContact: async () => false },
      new RecipientResolver(),
      async () => pacing,
      {
        willSend: async (messageId, providerId) => {
          before.push(`${messageId}:${providerId}:${socket.sent.length}`);
        },
        sent: (inst, jid, sent) => kept.push({ instanceId: inst, jid, id: sent.key.id, text: sent.message?.conversation }),
      },
      clock,
    );
    socket.open();
    socket.registered.add('554499999999');
    await engine.send(msg());
    // The WhatsApp id is recorded before anything reaches WhatsApp (0 messages sent at that point).
    expect(before).toEqual([`${msg().messageId}:${whatsappMessageId(msg().messageId, 0)}:0`]);
    expect(kept).toEqual([{ instanceId, jid: '554499999999@s.whatsapp.net', id: whatsappMessageId(msg().messageId, 0), text: 'hi' }]);
  });

  it('a resend of the same message carries the same WhatsApp id', async () => {
    socket.open();
    socket.registered.add('15551234567');
    await engine.send(msg({ recipient: '15551234567' }));
    await engine.send(msg({ recipient: '15551234567', attempt: 2 }));
    expect(socket.sent[0]?.messageId).toBe(socket.sent[1]?.messageId);
  });

  it('a number not on WhatsApp fails permanently with no send attempted, and is remembered', async () => {
    socket.open();
    const e = await failure(engine.send(msg({ recipient: '15550100404' })));
    expect(e).toMatchObject({ code: 'recipient_not_on_whatsapp', transient: false });
    await failure(engine.send(msg({ recipient: '15550100404' })));
    expect(socket.sent).toEqual([]);
    expect(socket.lookups).toHaveLength(1);
  });

  it('not connected: the message waits (transient); a send error from WhatsApp is retried', async () => {
    expect(await failure(engine.send(msg()))).toMatchObject({ code: 'instance_not_connected', transient: true });
    socket.open();
    socket.registered.add('554499999999');
    socket.failSend = new Error('Media upload failed on all hosts');
    expect(await failure(engine.send(msg()))).toMatchObject({ code: 'send_failed', transient: true });
  });

  it('paces sends of a number and shows typing before a text', async () => {
    pacing = { minGapMs: 3000, jitterMs: 0, perMinute: 1000, typing: true };
    engine = new BaileysEngine(
      { get: () => session, onConnected: () => {}, restrictedUntil: () => undefined, knowsContact: async () => false },
      new RecipientResolver(),
      async () => pacing,
      noLog,
      clock,
    );
    socket.open();
    socket.registered.add('554499999999');
    await engine.send(msg({ text: 'x'.repeat(50) }));
    await engine.send(msg({ messageId: '0190b6e2-7c1a-7d3e-8f00-000000000002', text: 'second' }));
    // Online only around the typing and the send: WhatsApp shows typing only from an online client.
    expect(socket.presence.map((p) => p.state)).toEqual(['available', 'composing', 'paused', 'unavailable', 'available', 'composing', 'paused', 'unavailable']);
    // 2 s of typing for 50 characters; the 3 s gap counts from the first turn, so 1 s more; then 0.5 s typing.
    expect(slept).toEqual([2000, 1000, 500]);
    pacing = { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false };
  });

  it('readiness: only a connected number can send; a logged-out one makes its messages wait too', async () => {
    expect(engine.readiness.canSend(instanceId)).toBe(false);
    expect(engine.readiness.canSend('another-instance')).toBe(false);
    socket.open();
    expect(engine.readiness.canSend(instanceId)).toBe(true);
    socket.close(401);
    expect(engine.readiness.canSend(instanceId)).toBe(false);
    expect(await failure(engine.send(msg()))).toMatchObject({ code: 'instance_not_connected', transient: true });
  });
});
