/**
 * The idempotency gate's paths that the HTTP tests cannot reach: another node
 * commits the key between this node's lookup and its own commit, and a key
 * that keeps being lost ends with 409 idempotency_key_busy.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyGate } from '../../src/accept/idempotency-gate.js';
import { ApiError } from '../../src/domain/errors.js';
import type { Store } from '../../src/store/database.js';
import { IdempotencyStatements } from '../../src/store/idempotency.js';
import { AcceptStatements } from '../../src/store/messages.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/gateway.js';
import { openTestStore } from '../helpers/test-db.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('connexa-gate-');
  store = await openTestStore(dir);
  expect((await migrate(store)).ok).toBe(true);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('IdempotencyGate', () => {
  it('when another node took the key first, answers with that node’s message', async () => {
    const gate = new IdempotencyGate(new IdempotencyStatements(store), 24 * 60 * 60_000);
    const other = new AcceptStatements(store);
    let calls = 0;
    const result = await gate.run('inst', { key: 'k', requestHash: 'h' }, async (claim) => {
      calls++;
      // The other node's commit lands first; ours then finds the key held.
      await other.insert([
        { id: 'theirs', instanceId: 'inst', type: 'text', recipient: '554499999999', text: 'hi', acceptedAt: Date.now(), media: undefined, idempotency: claim },
      ]);
      return { stored: false };
    });
    expect(result).toEqual({ messageId: 'theirs', replayed: true });
    expect(calls).toBe(1);
  });

  it('a key that keeps being lost ends with 409 idempotency_key_busy and Retry-After', async () => {
    const gate = new IdempotencyGate(new IdempotencyStatements(store), 24 * 60 * 60_000);
    let calls = 0;
    const err = await gate
      .run('inst', { key: 'k', requestHash: 'h' }, async () => {
        calls++;
        return { stored: false };
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('idempotency_key_busy');
    expect((err as ApiError).headers?.['Retry-After']).toBe('1');
    expect(calls).toBe(3);
  });

  it('waiting requests do not run out of turns while earlier holders fail', async () => {
    const gate = new IdempotencyGate(new IdempotencyStatements(store), 24 * 60 * 60_000);
    const claim = { key: 'k', requestHash: 'h' };
    let n = 0;
    const failing = () =>
      gate.run('inst', claim, async () => {
        n++;
        await new Promise((r) => setTimeout(r, 5));
        throw new Error(`disk full ${n}`);
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, failing));
    // Each request gets the real error, never a made-up 409.
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof Error && !(r.reason instanceof ApiError))).toBe(true);
  });

  it('concurrent requests with one key in this process: one creates, the others wait for it and replay its message', async () => {
    const gate = new IdempotencyGate(new IdempotencyStatements(store), 24 * 60 * 60_000);
    const accept = new AcceptStatements(store);
    const claim = { key: 'k', requestHash: 'h' };
    let created = 0;
    const create = async () => {
      created++;
      await new Promise((r) => setTimeout(r, 20));
      await accept.insert([
        {
          id: `m${created}`,
          instanceId: 'inst',
          type: 'text',
          recipient: '554499999999',
          text: 'hi',
          acceptedAt: Date.now(),
          media: undefined,
          idempotency: claim,
        },
      ]);
      return { stored: true as const, messageId: `m${created}` };
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => gate.run('inst', claim, create)));
    expect(created).toBe(1);
    expect(results.map((r) => r.messageId)).toEqual(['m1', 'm1', 'm1', 'm1', 'm1']);
    expect(results.filter((r) => r.replayed)).toHaveLength(4);
  });

  it('requests with different keys, or one key on different instances, do not wait for each other', async () => {
    const gate = new IdempotencyGate(new IdempotencyStatements(store), 24 * 60 * 60_000);
    let running = 0;
    let most = 0;
    const create = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return { stored: false as const };
    };
    const calls = [
      gate.run('inst', { key: 'a', requestHash: 'h' }, create),
      gate.run('inst', { key: 'b', requestHash: 'h' }, create),
      gate.run('other', { key: 'a', requestHash: 'h' }, create),
    ];
    await Promise.allSettled(calls);
    expect(most).toBe(3);
  });
});
