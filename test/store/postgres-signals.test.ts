/**
 * Wake-ups between nodes on PostgreSQL (LISTEN/NOTIFY): a signal on one node
 * reaches a listener on another, and a listener whose connection the server
 * cut listens again by itself, looking once for what it may have missed.
 * Two stores on one database stand for two nodes.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Signals, type Store } from '../../src/store/database.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore, testDatabase } from '../helpers/test-db.js';

let dir: string;
let listening: Store;
let listeningOpen: boolean;
let signalling: Store;

beforeEach(async () => {
  dir = tempDir('connexa-pg-signals-');
  const database = await testDatabase(dir);
  // The signalling store owns the test database (dropped when it closes): a test may close the listening one itself.
  signalling = await openTestStore(dir, { database });
  listening = openStore(database.config);
  listeningOpen = true;
});
afterEach(async () => {
  if (listeningOpen) await listening.close();
  await signalling.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function signalsOf(store: Store): Signals {
  if (store.signals === undefined) throw new Error('a store on PostgreSQL has signals');
  return store.signals;
}

/** Waits, up to 10 s, until `count()` is above `than`. */
async function above(count: () => number, than: number): Promise<number> {
  const until = Date.now() + 10_000;
  while (count() <= than && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(count()).toBeGreaterThan(than);
  return count();
}

/** The listening connections of this test's database. */
async function listeningConnections(): Promise<number> {
  const rows = await signalling.sql.all<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'connexa-signals' AND datname = current_database()`,
  );
  return rows[0]?.n ?? 0;
}

/** Ends the (one) listening connection from the server's side and waits, up to 10 s, until it is gone. */
async function cutListener(): Promise<void> {
  const cut = await signalling.sql.all<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'connexa-signals' AND datname = current_database()`,
  );
  expect(cut).toEqual([{ ok: true }]);
  const until = Date.now() + 10_000;
  while ((await listeningConnections()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(await listeningConnections()).toBe(0);
  // The client's 'error' event follows the server's goodbye: give it a moment to schedule the reconnect.
  await new Promise((r) => setTimeout(r, 100));
}

/** Longer than the signals' reconnect delay (1 s). */
const pastReconnect = (): Promise<void> => new Promise((r) => setTimeout(r, 1_500));

describe.runIf(onPostgres)('signals between nodes on PostgreSQL', () => {
  it("reach a listener on another node, on the listener's channel only, on every channel it listens to", async () => {
    let work = 0;
    let other = 0;
    await signalsOf(listening).listen('work', () => work++);
    await signalsOf(listening).listen('other', () => other++);
    // Listening begins with one look for whatever was signalled before.
    const looked = await above(() => work, 0);
    const otherBefore = other;

    signalsOf(signalling).signal('work');
    await above(() => work, looked);
    expect(other).toBe(otherBefore);
    // A channel added once the connection listens is listened to on it too.
    signalsOf(signalling).signal('other');
    await above(() => other, otherBefore);
  });

  it('listen again by themselves when the server cuts the connection, and look once for what they missed', async () => {
    let work = 0;
    await signalsOf(listening).listen('work', () => work++);
    let seen = await above(() => work, 0);

    await cutListener();
    // The look after listening again.
    seen = await above(() => work, seen);

    signalsOf(signalling).signal('work');
    await above(() => work, seen);
  });

  it('wake every listener on a channel, not only the first', async () => {
    let first = 0;
    let second = 0;
    await signalsOf(listening).listen('work', () => first++);
    await signalsOf(listening).listen('work', () => second++);
    const seen = await above(() => first, 0);
    const secondSeen = second;

    signalsOf(signalling).signal('work');
    await above(() => first, seen);
    await above(() => second, secondSeen);
  });

  it('make no new connection once closed while a reconnect is pending', async () => {
    await signalsOf(listening).listen('work', () => undefined);
    expect(await listeningConnections()).toBe(1);
    await cutListener();

    listeningOpen = false;
    await listening.close();
    await pastReconnect();
    expect(await listeningConnections()).toBe(0);
  });

  it('keep one connection when a channel is added between a cut and the reconnect', async () => {
    let work = 0;
    await signalsOf(listening).listen('work', () => work++);
    await cutListener();

    // Listening now connects at once; the reconnect already scheduled must not open a second connection.
    await signalsOf(listening).listen('other', () => undefined);
    await pastReconnect();
    expect(await listeningConnections()).toBe(1);
    const seen = work;
    signalsOf(signalling).signal('work');
    await above(() => work, seen);
  });
});
