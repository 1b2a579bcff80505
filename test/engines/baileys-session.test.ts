/**
 * The session lifecycle against a fake socket typed as Baileys' own WASocket
 * (Pick<>), with Baileys' real event emitter and real Boom disconnect errors,
 * and the auth state in a real SQLite file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { AuthStore } from '../../src/engines/baileys/auth-store.js';
import { WhatsAppSession, type SessionSnapshot } from '../../src/engines/baileys/session.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { FakeSocket } from '../helpers/fake-socket.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { WhatsAppAuthStatements } from '../../src/store/whatsapp-auth.js';

const logger = pino({ level: 'silent' });

let dir: string;
let file: string;
let store: Store;
let instanceId: string;
const key = randomBytes(32);
let sockets: FakeSocket[];
let changes: SessionSnapshot[];
let session: WhatsAppSession | undefined;

function newSession(onConnect?: (s: FakeSocket) => void): WhatsAppSession {
  session = new WhatsAppSession({
    instanceId,
    auth: new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key)),
    connect: (auth) => {
      const s = new FakeSocket(auth);
      sockets.push(s);
      onConnect?.(s);
      return s;
    },
    onChange: (snap) => changes.push(snap),
    logger,
    backoffBaseMs: 2,
    backoffMaxMs: 10,
    maxQrCodes: 3,
  });
  return session;
}

beforeEach(async () => {
  dir = tempDir('connexa-session-');
  file = path.join(dir, 'db.sqlite');
  store = openStore({ dialect: 'sqlite', file });
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'wa', 'sandbox')).instance_id;
  sockets = [];
  changes = [];
});

afterEach(async () => {
  session?.stop();
  session = undefined;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const last = (i = 0) => sockets[sockets.length - 1 - i] as FakeSocket;
/** Starts a session and lets it read its stored state (its first socket then exists). */
async function started(s: WhatsAppSession): Promise<void> {
  s.start();
  await new Promise((resolve) => setImmediate(resolve));
}

describe('WhatsApp session lifecycle', () => {
  it('QR → pairing → 515 restart → connected, and a restart of the gateway needs no new QR', async () => {
    const s = newSession();
    await started(s);
    expect(s.current.state).toBe('connecting');
    last().ev.emit('connection.update', { qr: '2@abc,def' });
    expect(s.current).toMatchObject({ state: 'qr', qr: { code: '2@abc,def' } });
    // The phone scans: Baileys updates creds, then asks for a restart (515).
    last().auth.creds.me = { id: '5544999999999:7@s.whatsapp.net' };
    last().auth.creds.registered = true;
    last().ev.emit('creds.update', { me: last().auth.creds.me });
    last().close(515);
    expect(sockets).toHaveLength(2);
    expect(last(1).ended).toBe(true);
    expect(last(1).listeners()).toBe(0);
    last().open();
    expect(s.current).toMatchObject({ state: 'connected', phone: '5544999999999' });
    expect(changes.map((c) => c.state)).toEqual(['connecting', 'qr', 'connecting', 'connected']);
    await waitFor(async () => ((await store.db.selectFrom('wa_creds').select('instance_id').execute()).length === 1 ? true : undefined));
    s.stop();

    // A new gateway process: the stored creds are loaded, no QR is shown.
    await store.close();
    store = openStore({ dialect: 'sqlite', file });
    sockets = [];
    changes = [];
    const again = newSession((sock) => {
      expect(sock.auth.creds.me?.id).toBe('5544999999999:7@s.whatsapp.net');
    });
    await started(again);
    last().open();
    expect(changes.map((c) => c.state)).toEqual(['connecting', 'connected']);
  });

  it.each([
    [401, 'logged_out'],
    [403, 'banned'],
    [411, 'failed'],
    [440, 'failed'],
  ])('close %i → %s, without reconnecting', async (code, state) => {
    const s = newSession();
    await started(s);
    last().auth.creds.me = { id: '5544999999999:7@s.whatsapp.net' };
    last().open();
    last().close(code);
    expect(s.current.state).toBe(state);
    await new Promise((r) => setTimeout(r, 30));
    expect(sockets).toHaveLength(1);
    expect(last().ended).toBe(true);
  });

  it('a logged-out session forgets its keys', async () => {
    const s = newSession();
    await started(s);
    await last().auth.keys.set({ 'lid-mapping': { a: 'b' } });
    last().close(401);
    await waitFor(async () => ((await store.db.selectFrom('wa_keys').selectAll().execute()).length === 0 ? true : undefined));
  });

  it.each([428, 500, 503, 408])('close %i after pairing → reconnect after a backoff', async (code) => {
    const s = newSession();
    await started(s);
    last().auth.creds.me = { id: '5544999999999:7@s.whatsapp.net' };
    last().open();
    last().close(code);
    expect(s.current.state).toBe('disconnected');
    expect(sockets).toHaveLength(1);
    await waitFor(async () => (sockets.length === 2 ? true : undefined), 1000, 'the reconnect');
    expect(s.current.state).toBe('connecting');
  });

  it('a stop while the stored session is being read opens no socket; a restart reads it once and reuses it on reconnects', async () => {
    const s = newSession();
    s.start();
    s.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sockets).toHaveLength(0);
    expect(s.current.state).toBe('disconnected');
    await started(s);
    expect(sockets).toHaveLength(1);
    last().auth.creds.me = { id: '5544999999999:7@s.whatsapp.net' };
    last().auth.creds.registered = true;
    last().close(515);
    // Restarted at once on the same auth state, as Baileys left it (not re-read).
    expect(sockets).toHaveLength(2);
    expect(last().auth).toBe(last(1).auth);
  });

  it('an unscanned link gives up after the QR codes run out', async () => {
    const s = newSession();
    await started(s);
    for (let i = 1; i <= 4; i++) last().ev.emit('connection.update', { qr: `qr-${i}` });
    expect(s.current).toMatchObject({ state: 'failed', reason: expect.stringMatching(/QR/) });
    expect(last().ended).toBe(true);
  });

  it('200 reconnects leave one socket with listeners and every other one ended and detached', async () => {
    const s = newSession();
    await started(s);
    last().auth.creds.me = { id: '5544999999999:7@s.whatsapp.net' };
    for (let i = 0; i < 200; i++) {
      const before = sockets.length;
      last().close(428);
      await waitFor(async () => (sockets.length === before + 1 ? true : undefined), 1000, 'reconnect');
    }
    expect(sockets).toHaveLength(201);
    expect(sockets.slice(0, -1).every((x) => x.ended && x.listeners() === 0)).toBe(true);
    expect(last().listeners()).toBe(2);
    s.stop();
    expect(last().listeners()).toBe(0);
  });

  it('a stored session that cannot be read (another secret key) fails the instance instead of crashing', async () => {
    await (await new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key)).load(instanceId)).saveCreds();
    const s = new WhatsAppSession({
      instanceId,
      auth: new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32))),
      connect: (auth) => new FakeSocket(auth),
      onChange: (snap) => changes.push(snap),
      logger,
    });
    expect(() => s.start()).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.current).toMatchObject({ state: 'failed', reason: expect.stringMatching(/CONNEXA_SECRET_KEY/) });
    s.stop();
  });

  it('logout unlinks on WhatsApp and wipes the stored session', async () => {
    const s = newSession();
    await started(s);
    last().open();
    await last().auth.keys.set({ 'lid-mapping': { a: 'b' } });
    const sock = last();
    await s.logout();
    expect(sock.loggedOut).toBe(true);
    expect(s.current.state).toBe('logged_out');
    expect(await store.db.selectFrom('wa_keys').selectAll().execute()).toEqual([]);
  });
});
