/**
 * The `cloud` engine: Meta's WhatsApp Cloud API. A message's file is uploaded
 * from the bytes Connexa already checked, then its parts go out (one, or an
 * audio and its text), each at the number's pace and within the pair rate.
 * The wamid of each part Graph took is recorded at once: statuses that came
 * first are applied then, and a retry sends only the parts still missing.
 * Meta's errors become Connexa outcomes (graph-error.ts); a rejected token
 * (190) puts the instance in `failed` / `token_invalid`, and its messages wait,
 * as for a disconnected number, until the token is replaced.
 */
import { CodedError, NotBeforeError } from '../../domain/errors.js';
import type { CloudSettings } from '../../domain/cloud-config.js';
import type { SessionSnapshot } from '../../domain/session.js';
import type { CloudStatements } from '../../store/cloud.js';
import type { Engine, EngineCapabilities, InstanceStates, OutgoingMessage, ReceiptSink, SendReadiness, SendResult } from '../engine.js';
import type { CloudAccounts } from './accounts.js';
import { GraphClient } from './graph-client.js';
import { codedFromGraph, GraphApiError } from './graph-error.js';
import { cloudBodies } from './message-body.js';
import { PairRate, Throughput } from './pace.js';
import { receiptsOf } from './statuses.js';

/** Where the instance's state is kept (with its webhook events: `instance.disconnected`, `instance.connected`). */
export interface CloudStateLog {
  save(instanceId: string, snap: SessionSnapshot): Promise<void>;
  stored(instanceId: string): Promise<{ state: string; reason: string | null; since: number | null } | undefined>;
}

export const TOKEN_INVALID = 'token_invalid';

export class CloudEngine implements Engine {
  readonly name = 'cloud' as const;
  /** Enough recipients at once to keep 80 messages a second going while each waits for Graph. */
  readonly capabilities: EngineCapabilities = { audioCaption: false, linking: false, lanesPerInstance: 64 };
  private readonly blocked = new Set<string>();
  private readonly checked = new Set<string>();
  private readonly readyListeners: ((instanceId: string) => void)[] = [];
  private readonly paces = new Map<string, Throughput>();
  private readonly pairs: PairRate;
  /** An instance whose token was rejected cannot send until it is replaced. */
  readonly readiness: SendReadiness = {
    canSend: (instanceId) => !this.blocked.has(instanceId),
    onReady: (listener) => void this.readyListeners.push(listener),
  };
  readonly states: InstanceStates = {
    snapshot: async (instanceId) => {
      const stored = await this.stateLog.stored(instanceId);
      if (stored?.state === 'failed') return { state: 'failed', since: stored.since ?? 0, ...(stored.reason !== null ? { reason: stored.reason } : {}) };
      return { state: 'connected', since: stored?.since ?? 0 };
    },
  };

  constructor(
    private readonly accounts: CloudAccounts,
    private readonly rows: CloudStatements,
    private readonly receipts: ReceiptSink,
    private readonly stateLog: CloudStateLog,
    private readonly now: () => number = Date.now,
  ) {
    this.pairs = new PairRate(now);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** The instance's settings were replaced: a new token is tried at once, and its waiting messages go. */
  async replaced(instanceId: string): Promise<void> {
    this.accounts.forget(instanceId);
    const account = await this.accounts.get(instanceId);
    const pace = this.paces.get(instanceId);
    if (account !== undefined && pace !== undefined) pace.rate = account.throughput;
    const stored = await this.stateLog.stored(instanceId);
    const wasBlocked = this.blocked.delete(instanceId);
    if (stored?.state === 'failed' || wasBlocked) await this.stateLog.save(instanceId, { state: 'connected', since: this.now() });
    if (wasBlocked) for (const l of this.readyListeners) l(instanceId);
  }

  /** Another node replaced some account (or deleted an instance): every account is read again when next needed. */
  forgetAccounts(): void {
    this.accounts.forgetAll();
  }

  /** The instance was deleted. */
  forget(instanceId: string): void {
    this.accounts.forget(instanceId);
    this.blocked.delete(instanceId);
    this.checked.delete(instanceId);
    this.paces.delete(instanceId);
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    let account = await this.accounts.get(m.instanceId);
    if (account === undefined) throw new CodedError('instance_not_found', 'This cloud instance has no Cloud API settings');
    await this.checkState(m.instanceId);
    if (this.blocked.has(m.instanceId)) throw this.waiting();
    const pairKey = `${m.instanceId}>${m.recipient}`;
    try {
      return await this.sendWith(account, m, pairKey);
    } catch (err) {
      if (!(err instanceof GraphApiError)) throw err;
      if (err.code === 190) {
        // The token held in memory may be an old one (replaced through another node): once more with the stored one.
        this.accounts.forget(m.instanceId);
        const stored = await this.accounts.get(m.instanceId);
        if (stored !== undefined && stored.accessToken !== account.accessToken) {
          account = stored;
          try {
            return await this.sendWith(account, m, pairKey);
          } catch (again) {
            if (!(again instanceof GraphApiError)) throw again;
            throw await this.failed(m.instanceId, pairKey, again);
          }
        }
      }
      throw await this.failed(m.instanceId, pairKey, err);
    }
  }

  /** Uploads the file if needed and sends the parts Graph has not taken yet; the first part's wamid. */
  private async sendWith(account: CloudSettings, m: OutgoingMessage, pairKey: string): Promise<SendResult> {
    const client = new GraphClient({
      graphUrl: account.graphUrl,
      version: account.graphVersion,
      phoneNumberId: account.phoneNumberId,
      accessToken: account.accessToken,
    });
    const done = await this.rows.sentParts(m.instanceId, m.messageId);
    // A retry whose file went out already needs no upload (its first part is not sent again).
    const mediaId = m.media === undefined || done.has(0) ? 'already-sent' : await client.upload(m.media.bytes, m.media.mime, m.media.filename);
    const missing = cloudBodies(m, mediaId)
      .map((body, part) => ({ body, part }))
      .filter(({ part }) => !done.has(part));
    const until = missing.length === 0 ? undefined : this.pairs.take(pairKey, missing.length);
    if (until !== undefined) {
      throw new NotBeforeError(
        'pair_rate_limited',
        `Cloud API allows about one message per 6 seconds to the same person; this one waits until ${new Date(until).toISOString()}`,
        until,
      );
    }
    const pace = this.paceOf(m.instanceId, account.throughput);
    for (const { body, part } of missing) {
      await pace.turn(m.signal);
      const answer = await client.send(body);
      done.set(part, answer.wamid);
      const overtaken = await this.rows.recordSend(
        m.instanceId,
        [{ messageId: m.messageId, wamid: answer.wamid, part, waId: answer.waId ?? null }],
        this.now(),
      );
      if (overtaken.length > 0) await this.receipts.record(receiptsOf(overtaken));
    }
    const first = done.get(0);
    if (first === undefined) throw new Error('no first part');
    return { providerId: first };
  }

  private async failed(instanceId: string, pairKey: string, err: GraphApiError): Promise<CodedError> {
    if (err.code === 190) {
      this.blocked.add(instanceId);
      await this.stateLog.save(instanceId, { state: 'failed', since: this.now(), reason: TOKEN_INVALID });
      return this.waiting();
    }
    if (err.code === 131056) this.pairs.spent(pairKey);
    if (err.code === 130429 || err.code === 80007 || err.code === 4) this.paces.get(instanceId)?.holdBack(1000);
    return codedFromGraph(err);
  }

  /** Once per instance on this node: a token rejected before (another node, an earlier run) still blocks it. */
  private async checkState(instanceId: string): Promise<void> {
    if (this.checked.has(instanceId)) return;
    const stored = await this.stateLog.stored(instanceId);
    if (stored?.state === 'failed' && stored.reason === TOKEN_INVALID) this.blocked.add(instanceId);
    this.checked.add(instanceId);
  }

  private waiting(): CodedError {
    return new CodedError(
      'instance_not_connected',
      'Meta rejected the access token (190); messages wait until it is replaced (PATCH /api/v1/admin/instances/{id})',
      true,
    );
  }

  private paceOf(instanceId: string, perSecond: number): Throughput {
    let pace = this.paces.get(instanceId);
    if (pace === undefined) {
      pace = new Throughput(perSecond, this.now);
      this.paces.set(instanceId, pace);
    }
    return pace;
  }
}
