import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { EndpointAgents } from '../../src/webhooks/endpoint-agents.js';

describe('EndpointAgents', () => {
  it('keeps one agent per endpoint, a new one when its URL changes, and closes the least recently used past capacity', async () => {
    const made: Agent[] = [];
    const agents = new EndpointAgents(() => {
      const a = new Agent();
      made.push(a);
      return a;
    }, 2);
    const a1 = agents.get('a', 'https://a.example/hook');
    expect(agents.get('a', 'https://a.example/hook')).toBe(a1);
    const a2 = agents.get('a', 'https://a.example/other');
    expect(a2).not.toBe(a1);
    expect(a1.destroyed).toBe(true);
    agents.get('b', 'https://b.example/hook');
    agents.get('a', 'https://a.example/other'); // a is now the most recently used
    agents.get('c', 'https://c.example/hook'); // over capacity: b goes
    expect(agents.size).toBe(2);
    expect(made[2]?.destroyed).toBe(true);
    expect(a2.destroyed).toBe(false);
    await agents.closeAll();
    expect(made.every((a) => a.destroyed)).toBe(true);
  });
});
