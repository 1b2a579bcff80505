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
let signalling: Store;

beforeEach(async () => {
  dir = tempDir('connexa-pg-signals-');
  const database = await testDatabase(dir);
  listening = await openTestStore(dir, { database });
  signalling = openStore(database.config);
});
afterEach(async () => {
  await signalling.close();
  await listening.close();
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

    const cut = await signalling.sql.all<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'connexa-signals' AND datname = current_database()`,
    );
    expect(cut).toEqual([{ ok: true }]);
    // The look after listening again.
    seen = await above(() => work, seen);

    signalsOf(signalling).signal('work');
    await above(() => work, seen);
  });
});
