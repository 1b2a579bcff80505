/**
 * Real Baileys sockets, pointed at a local WebSocket server that drops every
 * connection (or at a closed port): the session backs off instead of looping,
 * and 200 reconnects leak neither sockets, listeners nor memory.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { AuthStore } from '../../src/engines/baileys/auth-store.js';
import { baileysConnector } from '../../src/engines/baileys/connect.js';
import { WhatsAppSession, type SessionSnapshot } from '../../src/engines/baileys/session.js';
import type { WASocketPort } from '../../src/engines/baileys/socket-port.js';
import type { Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';
import { WhatsAppAuthStatements } from '../../src/store/whatsapp-auth.js';

const logger = pino({ level: 'silent' });
let dir: string;
let store: Store;
let instanceId: string;
let wss: WebSocketServer | undefined;
let session: WhatsAppSession | undefined;

beforeEach(async () => {
  dir = tempDir('connexa-realsock-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['baileys']);
  instanceId = (await admin.createInstance((await admin.createUser('u')).user_id, 'wa', 'baileys')).instance_id;
});

afterEach(async () => {
  session?.stop();
  session = undefined;
  await new Promise<void>((resolve) => (wss === undefined ? resolve() : wss.close(() => resolve())));
  wss = undefined;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function droppingServer(): Promise<{ url: string; connections: () => number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss = server;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let n = 0;
  server.on('connection', (ws) => {
    n++;
    ws.close();
  });
  const { port } = server.address() as net.AddressInfo;
  return { url: `ws://127.0.0.1:${port}/ws/chat`, connections: () => n };
}

/** `sockets` collects every socket built, unless it is a counter (so the test itself keeps none alive). */
function realSession(
  url: string,
  backoffBaseMs: number,
  backoffMaxMs: number,
  sockets: WASocketPort[] | { count: number },
  states: SessionSnapshot[],
): WhatsAppSession {
  const connect = baileysConnector({ logger, waWebSocketUrl: url, connectTimeoutMs: 2_000, getMessage: async () => undefined });
  session = new WhatsAppSession({
    instanceId,
    auth: new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32))),
    connect: (auth) => {
      const s = connect(auth, instanceId);
      if (Array.isArray(sockets)) sockets.push(s);
      else sockets.count++;
      return s;
    },
    onChange: (s) => states.push(s),
    logger,
    backoffBaseMs,
    backoffMaxMs,
  });
  return session;
}

describe('real Baileys sockets against a local server', () => {
  it('a server that drops every connection gets a backoff, not a tight loop', async () => {
    const server = await droppingServer();
    const sockets: WASocketPort[] = [];
    const states: SessionSnapshot[] = [];
    realSession(server.url, 100, 400, sockets, states).start();
    await new Promise((r) => setTimeout(r, 1500));
    // 100 ms doubling to 400 ms (jittered) allows about six attempts in 1.5 s; a loop would make hundreds.
    expect(server.connections()).toBeGreaterThanOrEqual(2);
    expect(server.connections()).toBeLessThanOrEqual(10);
    expect(states.some((s) => s.state === 'disconnected' && /reconnecting/.test(s.reason ?? ''))).toBe(true);
  });

  it('a closed port is retried the same way', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const sockets: WASocketPort[] = [];
    realSession(`ws://127.0.0.1:${port}/ws/chat`, 50, 200, sockets, []).start();
    await waitFor(async () => (sockets.length >= 3 ? true : undefined), 5000, 'retries');
    expect(session?.current.state).not.toBe('failed');
  });

  it('200 reconnects keep memory flat', { timeout: 90_000 }, async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
    const server = await droppingServer();
    const sockets = { count: 0 };
    realSession(server.url, 1, 2, sockets, []).start();
    await waitFor(async () => (server.connections() >= 20 ? true : undefined), 30_000, '20 reconnects');
    gc();
    const before = process.memoryUsage().heapUsed;
    await waitFor(async () => (server.connections() >= 220 ? true : undefined), 60_000, '200 more reconnects');
    session?.stop();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    expect(sockets.count).toBeGreaterThanOrEqual(220);
  });
});
