/**
 * A real, unmodified Baileys socket against the local fake WhatsApp server
 * (test/fakes/whatsapp-server.ts): the Noise handshake completes over the
 * wire, the socket registers as a new companion, and a `pair-device` stanza
 * makes Baileys' own QR handler emit codes that the session shows.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { AuthStore } from '../../src/engines/baileys/auth-store.js';
import { baileysConnector } from '../../src/engines/baileys/connect.js';
import { RecipientResolver } from '../../src/engines/baileys/recipient-resolver.js';
import { WhatsAppSession } from '../../src/engines/baileys/session.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { FakeWhatsAppServer, type FakeConnection } from '../fakes/whatsapp-server.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';
import { WhatsAppAuthStatements } from '../../src/store/whatsapp-auth.js';

const logger = pino({ level: 'silent' });
let dir: string;
let store: Store;
let instanceId: string;
let server: FakeWhatsAppServer;
let session: WhatsAppSession | undefined;

beforeEach(async () => {
  dir = tempDir('connexa-fakewa-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['baileys']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'wa', 'baileys')).instance_id;
  server = await FakeWhatsAppServer.start();
});

afterEach(async () => {
  session?.stop();
  session = undefined;
  await server.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function realSession(version?: [number, number, number], backoffBaseMs = 20): WhatsAppSession {
  const connect = baileysConnector({
    logger,
    waWebSocketUrl: server.url,
    connectTimeoutMs: 5_000,
    getMessage: async () => undefined,
    ...(version !== undefined ? { version: () => version } : {}),
  });
  session = new WhatsAppSession({
    instanceId,
    auth: new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32))),
    connect: (auth) => connect(auth, instanceId),
    onChange: () => {},
    logger,
    backoffBaseMs,
    backoffMaxMs: backoffBaseMs * 2.5,
  });
  return session;
}

/** Starts `s`, waits for its connection, and has the server ask it to show QR codes for `refs`. */
async function showQr(s: WhatsAppSession, refs = ['ref-one']): Promise<{ conn: FakeConnection; qr: { code: string } }> {
  const connected = server.nextConnection();
  s.start();
  const conn = await connected;
  if (refs.length > 0) conn.pairDevice(refs);
  const qr = refs.length > 0 ? await waitFor(async () => s.current.qr, 5_000, 'a QR code') : { code: '' };
  return { conn, qr };
}

describe('a real Baileys socket against the fake WhatsApp server', () => {
  it('completes the Noise handshake, registers, and shows the QR code of a pair-device ref', async () => {
    const s = realSession();
    const { conn, qr } = await showQr(s, ['ref-one', 'ref-two']);
    // Not linked yet: the client registers (a device pairing payload), it does not log in.
    expect(conn.payload?.devicePairingData).toBeTruthy();
    expect(conn.payload?.username ?? null).toBeNull();
    // ref, noise key, identity key, adv secret and platform, as the phone's scanner reads them.
    expect(qr.code).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#ref-one,[^,]+,[^,]+,[^,]+,/);
    expect(s.current.state).toBe('qr');
    // Baileys answers the stanza with an iq result, as WhatsApp expects.
    const ack = await conn.next((n) => n.tag === 'iq' && n.attrs.type === 'result');
    expect(ack.attrs.id).toMatch(/^pair-/);
    expect(server.errors).toEqual([]);
  });

  it('links by QR: pair-success, the 515 restart, login as the paired number, connected', async () => {
    const s = realSession();
    const { conn: registering, qr } = await showQr(s);

    const second = server.nextConnection();
    await registering.pairSuccess(qr.code, '5544000000000');
    // After 515 the session reconnects at once and logs in with the identity it was given.
    const login = await second;
    expect(login.payload?.username?.toString()).toBe('5544000000000');
    expect(login.payload?.device).toBe(7);
    login.loginSuccess();
    await waitFor(async () => (s.current.state === 'connected' ? true : undefined), 5_000, 'the session to connect');
    expect(s.current.phone).toBe('5544000000000');
    expect(server.errors).toEqual([]);
  });

  it('presents itself as a browser WhatsApp knows (Chrome on Ubuntu) in the QR code and in a pairing-code request', async () => {
    const s = realSession();
    const { conn, qr } = await showQr(s);
    // The QR's last field is the companion platform: 1 is Chrome; 9 (OTHER_WEB_CLIENT) is what WhatsApp refuses.
    expect(qr.code.split(',').at(-1)).toBe('1');

    await s.linking?.requestPairingCode('5544999999999');
    const request = await conn.next((n) => n.tag === 'iq' && Array.isArray(n.content) && n.content.some((c) => c.tag === 'link_code_companion_reg'));
    const reg = Array.isArray(request.content) ? request.content.find((c) => c.tag === 'link_code_companion_reg') : undefined;
    const field = (tag: string) => {
      const node = Array.isArray(reg?.content) ? reg.content.find((c) => c.tag === tag) : undefined;
      return node?.content instanceof Uint8Array ? Buffer.from(node.content).toString() : node?.content;
    };
    expect(field('companion_platform_id')).toBe('1');
    expect(field('companion_platform_display')).toBe('Chrome (Ubuntu)');
  });

  it('a pairing code WhatsApp refuses is an error, and leaves no identity behind: the next connection registers again', async () => {
    const auth = new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32)));
    const connect = baileysConnector({ logger, waWebSocketUrl: server.url, connectTimeoutMs: 5_000, getMessage: async () => undefined });
    const s = new WhatsAppSession({ instanceId, auth, connect: (a) => connect(a, instanceId), onChange: () => {}, logger });
    session = s;
    const { conn } = await showQr(s);
    conn.pairingCodeAnswer = 'refuse';
    const refused = await s.requestPairingCode('5544999999999').catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'pairing_refused' });
    expect((await auth.load(instanceId)).state.creds.me).toBeUndefined();

    s.stop();
    const second = server.nextConnection();
    s.start();
    expect((await second).payload?.devicePairingData).toBeTruthy();
  });

  it('a pairing code WhatsApp accepts is returned', async () => {
    const s = realSession();
    await showQr(s);
    expect(await s.requestPairingCode('5544999999999')).toMatch(/^[A-Z0-9]{8}$/);
  });

  it('presents the configured WhatsApp Web version; a version WhatsApp keeps refusing (405) stops as client_outdated', async () => {
    const s = realSession([2, 3000, 1234567]);
    const { conn } = await showQr(s, []);
    expect(conn.payload?.userAgent?.appVersion).toMatchObject({ primary: 2, secondary: 3000, tertiary: 1234567 });

    // Each refused connection is redialled; a waiter is registered before the refusal that causes the next.
    let current = conn;
    for (let refused = 1; refused < 3; refused++) {
      const next = server.nextConnection();
      current.fail(405);
      current = await next;
    }
    current.fail(405);
    await waitFor(async () => (s.current.state === 'failed' ? true : undefined), 5_000, 'the session to give up');
    expect(s.current.reason).toMatch(/^client_outdated:/);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.connections).toHaveLength(3);
  });

  it('a session WhatsApp no longer accepts (419) stops as failed instead of redialling', async () => {
    const s = realSession();
    const { conn } = await showQr(s, []);
    conn.fail(419);
    await waitFor(async () => (s.current.state === 'failed' ? true : undefined), 5_000, 'the session to stop');
    expect(s.current.reason).toMatch(/419/);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.connections).toHaveLength(1);
  });

  it('a server that asks for a restart (515) on every connection gets three quick restarts, then the backoff', async () => {
    const s = realSession(undefined, 1000);
    server.onConnection = (c) => c.streamError(515);
    s.start();
    await new Promise((r) => setTimeout(r, 1500));
    // The first connection, three restarts at once, then one after a backoff of 0.5–1 s; unbounded, a restart per handshake.
    expect(server.connections.length).toBeGreaterThanOrEqual(4);
    expect(server.connections.length).toBeLessThanOrEqual(6);
  });

  it('a lookup WhatsApp does not answer is retried, never remembered as "not on WhatsApp"', async () => {
    const s = realSession();
    const { conn: registering, qr } = await showQr(s);
    const second = server.nextConnection();
    await registering.pairSuccess(qr.code, '5544000000000');
    const conn = await second;
    conn.loginSuccess();
    await waitFor(async () => (s.current.state === 'connected' ? true : undefined), 5_000, 'the session to connect');
    const socket = s.connected;
    if (socket === undefined) throw new Error('not connected');
    const resolver = new RecipientResolver();

    conn.usync = 'unreadable';
    const failed = await resolver.find(instanceId, socket, '554499999999').catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'recipient_lookup_failed', transient: true });
    // Asked again (nothing was cached): now WhatsApp knows the number, in its 13-digit form.
    conn.usync = new Map([['5544999999999', '5544999999999@s.whatsapp.net']]);
    expect(await resolver.find(instanceId, socket, '554499999999')).toBe('5544999999999@s.whatsapp.net');
    // A number WhatsApp says is not there is remembered as such.
    expect(await resolver.find(instanceId, socket, '15550100404')).toBeNull();
  });
});
