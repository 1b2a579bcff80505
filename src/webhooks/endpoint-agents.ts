/**
 * One HTTP agent per webhook endpoint, kept between deliveries, so a busy
 * endpoint reuses its keep-alive connection (and TLS session) instead of
 * opening a new one per event. Every new connection still goes through the
 * guarded lookup; a changed URL gets a fresh agent. Bounded: past `capacity`
 * endpoints the least recently used agent is closed.
 */
import type { Agent } from 'undici';

export class EndpointAgents {
  private readonly byInstance = new Map<string, { url: string; agent: Agent }>();

  constructor(
    private readonly make: () => Agent,
    private readonly capacity = 2_000,
  ) {}

  get(instanceId: string, url: string): Agent {
    const held = this.byInstance.get(instanceId);
    if (held !== undefined && held.url === url) {
      // Most recently used goes to the end of the map's order.
      this.byInstance.delete(instanceId);
      this.byInstance.set(instanceId, held);
      return held.agent;
    }
    if (held !== undefined) this.drop(instanceId);
    if (this.byInstance.size >= this.capacity) {
      const oldest = this.byInstance.keys().next();
      if (oldest.done !== true) this.drop(oldest.value);
    }
    const agent = this.make();
    this.byInstance.set(instanceId, { url, agent });
    return agent;
  }

  /** Closes the endpoint's agent (its URL changed, it was disabled, or it misbehaved). */
  drop(instanceId: string): void {
    const held = this.byInstance.get(instanceId);
    if (held === undefined) return;
    this.byInstance.delete(instanceId);
    held.agent.destroy().catch(() => undefined);
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
