/**
 * A rejected Cloud API token blocks its instance on every node: the block is
 * kept in the stored state, and a node that did not see the token replaced
 * lifts its own block (and wakes the instance's waiting messages) when told
 * to look again.
 */
import { describe, expect, it } from 'vitest';
import type { SessionSnapshot } from '../../src/domain/session.js';
import { TokenBlocks, type CloudStateLog } from '../../src/engines/cloud/token-blocks.js';

/** The instances' stored state, shared by the nodes as the database is. */
function sharedState(): CloudStateLog {
  const rows = new Map<string, SessionSnapshot>();
  return {
    save: async (id, snap) => void rows.set(id, snap),
    stored: async (id) => {
      const s = rows.get(id);
      return s === undefined ? undefined : { state: s.state, reason: s.reason ?? null, since: s.since };
    },
  };
}

describe('token blocks over two nodes', () => {
  it('a block seen by one node is lifted there when the other replaced the token', async () => {
    const state = sharedState();
    const a = new TokenBlocks(state);
    const b = new TokenBlocks(state);
    const woken: string[] = [];
    a.readiness.onReady((id) => woken.push(id));

    await a.block('i1');
    expect(a.readiness.canSend('i1')).toBe(false);
    expect(await b.isBlocked('i1')).toBe(true);
    expect((await state.stored('i1'))?.reason).toBe('token_invalid');

    await b.unblock('i1');
    expect(b.readiness.canSend('i1')).toBe(true);
    expect((await state.stored('i1'))?.state).toBe('connected');
    expect(a.readiness.canSend('i1')).toBe(false);
    await a.recheck();
    expect(a.readiness.canSend('i1')).toBe(true);
    expect(woken).toEqual(['i1']);
  });
});
