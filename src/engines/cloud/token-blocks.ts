/**
 * Which `cloud` instances cannot send because Meta rejected their token
 * (190): kept in memory for the dispatcher's synchronous question, and in the
 * instance's stored state (`failed` / `token_invalid`, with its webhook
 * events) for every node and every restart. A node learns of a block once
 * per instance from the stored state; a replaced token lifts it here at once
 * and, on the other nodes, when they are told to look again (`recheck`).
 */
import type { SessionSnapshot } from '../../domain/session.js';
import type { SendReadiness } from '../engine.js';

/** Where the instance's state is kept (with its webhook events: `instance.disconnected`, `instance.connected`). */
export interface CloudStateLog {
  save(instanceId: string, snap: SessionSnapshot): Promise<void>;
  stored(instanceId: string): Promise<{ state: string; reason: string | null; since: number | null } | undefined>;
}

export const TOKEN_INVALID = 'token_invalid';

export class TokenBlocks {
  private readonly blocked = new Set<string>();
  private readonly checked = new Set<string>();
  private readonly listeners: ((instanceId: string) => void)[] = [];
  readonly readiness: SendReadiness = {
    canSend: (instanceId) => !this.blocked.has(instanceId),
    onReady: (listener) => void this.listeners.push(listener),
  };

  constructor(
    private readonly log: CloudStateLog,
    private readonly now: () => number = Date.now,
  ) {}

  private async storedBlock(instanceId: string): Promise<boolean> {
    const stored = await this.log.stored(instanceId);
    return stored?.state === 'failed' && stored.reason === TOKEN_INVALID;
  }

  /** Whether the instance is blocked, reading its stored state the first time this node asks. */
  async isBlocked(instanceId: string): Promise<boolean> {
    if (!this.checked.has(instanceId)) {
      if (await this.storedBlock(instanceId)) this.blocked.add(instanceId);
      this.checked.add(instanceId);
    }
    return this.blocked.has(instanceId);
  }

  /** Meta rejected the token: the instance stops sending until it is replaced. */
  async block(instanceId: string): Promise<void> {
    if (this.blocked.has(instanceId)) return;
    this.blocked.add(instanceId);
    this.checked.add(instanceId);
    await this.log.save(instanceId, { state: 'failed', since: this.now(), reason: TOKEN_INVALID });
  }

  /** The token was replaced (here): the instance is connected again and its waiting messages go. */
  async unblock(instanceId: string): Promise<void> {
    const wasBlocked = this.blocked.delete(instanceId);
    if (wasBlocked || (await this.storedBlock(instanceId))) await this.log.save(instanceId, { state: 'connected', since: this.now() });
    if (wasBlocked) this.ready(instanceId);
  }

  /** Another node may have replaced a token, or this node took instances over: the stored state decides again. */
  async recheck(): Promise<void> {
    this.checked.clear();
    for (const instanceId of [...this.blocked]) {
      if (await this.storedBlock(instanceId)) continue;
      this.blocked.delete(instanceId);
      this.ready(instanceId);
    }
  }

  forget(instanceId: string): void {
    this.blocked.delete(instanceId);
    this.checked.delete(instanceId);
  }

  private ready(instanceId: string): void {
    for (const l of this.listeners) l(instanceId);
  }
}
