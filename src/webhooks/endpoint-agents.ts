/**
 * One HTTP agent per webhook endpoint, kept between deliveries, so a busy
 * endpoint reuses its keep-alive connection (and TLS session) instead of
 * opening a new one per event. Every new connection still goes through the
 * guarded lookup; a changed URL gets a fresh agent. Bounded: past `capacity`
 * endpoints the least recently used agent is closed.
 */
import { LRUCache } from 'lru-cache';
import type { Agent } from 'undici';

export class EndpointAgents {
  private readonly byInstance: LRUCache<string, { url: string; agent: Agent }>;

  constructor(
    private readonly make: () => Agent,
    capacity = 2_000,
  ) {
    // Whatever leaves the cache (evicted, replaced, dropped) is closed.
    this.byInstance = new LRUCache({ max: capacity, dispose: (held) => void held.agent.destroy().catch(() => undefined) });
  }

  get(instanceId: string, url: string): Agent {
    const held = this.byInstance.get(instanceId);
    if (held !== undefined && held.url === url) return held.agent;
    const agent = this.make();
    this.byInstance.set(instanceId, { url, agent });
    return agent;
  }

  /** Closes the endpoint's agent (it failed, timed out, or the endpoint answered 410). */
  drop(instanceId: string): void {
    this.byInstance.delete(instanceId);
  }

  async closeAll(): Promise<void> {
    const agents = [...this.byInstance.values()].map((h) => h.agent);
    this.byInstance.clear();
    await Promise.allSettled(agents.map((a) => a.destroy()));
  }

  get size(): number {
    return this.byInstance.size;
  }
}
