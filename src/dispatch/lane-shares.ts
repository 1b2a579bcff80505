/**
 * Each instance's share of the lanes in hand: how many it is working now and
 * how many its engine is worth (learned when its first lane runs; until then
 * one). A claim leaves out instances at their share, so a slow, paced
 * instance never holds the places other instances need.
 */
export class LaneShares {
  private readonly active = new Map<string, number>();
  private readonly shares = new Map<string, number>();

  knows(instanceId: string): boolean {
    return this.shares.has(instanceId);
  }

  learn(instanceId: string, lanes: number): void {
    this.shares.set(instanceId, lanes);
  }

  /** Instances working as many lanes as they are worth. */
  busy(): string[] {
    const busy: string[] = [];
    for (const [instanceId, n] of this.active) if (n >= this.share(instanceId)) busy.push(instanceId);
    return busy;
  }

  /** A check for one claim: lanes it has admitted count against their instance's share. */
  admitter(): (instanceId: string) => boolean {
    const admitted = new Map<string, number>();
    return (instanceId) => {
      const n = admitted.get(instanceId) ?? 0;
      if ((this.active.get(instanceId) ?? 0) + n >= this.share(instanceId)) return false;
      admitted.set(instanceId, n + 1);
      return true;
    };
  }

  /** Whether a lane of the instance is running. */
  running(instanceId: string): boolean {
    return this.active.has(instanceId);
  }

  /** A lane of the instance starts running. */
  take(instanceId: string): void {
    this.active.set(instanceId, (this.active.get(instanceId) ?? 0) + 1);
  }

  /** A lane of the instance is given back. */
  give(instanceId: string): void {
    const left = (this.active.get(instanceId) ?? 1) - 1;
    if (left > 0) this.active.set(instanceId, left);
    else this.active.delete(instanceId);
  }

  private share(instanceId: string): number {
    return this.shares.get(instanceId) ?? 1;
  }
}
