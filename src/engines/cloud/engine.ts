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
import type { CloudStatements, MatchedStatus } from '../../store/cloud.js';
import type { Engine, EngineCapabilities, InstanceStates, OutgoingMessage, ReceiptSink, SendResult } from '../engine.js';
import type { CloudAccounts } from './accounts.js';
import { GraphClient } from './graph-client.js';
import { codedFromGraph, GraphApiError } from './graph-error.js';
import { cloudBodies } from './message-body.js';
import { PAIR_EVERY_MS, PairRate, Throughput } from './pace.js';
import { TokenBlocks, type CloudStateLog } from './token-blocks.js';

export type { CloudStateLog } from './token-blocks.js';

/** How long a number is held back after Meta says it is over its throughput. */
const RATE_HOLD_MS = 1_000;
import { receiptsOf } from './statuses.js';

export class CloudEngine implements Engine {
  readonly name = 'cloud' as const;
  /** Enough recipients at once to keep 80 messages a second going while each waits for Graph. */
  readonly capabilities: EngineCapabilities = { audioCaption: false, linking: false, lanesPerInstance: 64 };
  private readonly paces = new Map<string, Throughput>();
  private readonly pairs: PairRate;
  private readonly blocks: TokenBlocks;
  /** An instance whose token was rejected cannot send until it is replaced. */
  readonly readiness;
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
    this.blocks = new TokenBlocks(stateLog, now);
    this.readiness = this.blocks.readiness;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** The instance's settings were replaced (here): a new token is tried at once, and its waiting messages go. */
  async replaced(instanceId: string): Promise<void> {
    this.accounts.forget(instanceId);
    await this.blocks.unblock(instanceId);
  }

  /**
   * Another node replaced an account (or deleted an instance), or this node
   * took instances over: accounts and blocks are read again from the database.
   */
  async refresh(): Promise<void> {
    this.accounts.forgetAll();
    await this.blocks.recheck();
  }

  /** The instance was deleted. */
  forget(instanceId: string): void {
    this.accounts.forget(instanceId);
    this.blocks.forget(instanceId);
    this.paces.delete(instanceId);
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    const first = await this.accounts.get(m.instanceId);
    if (first === undefined) throw new CodedError('instance_not_found', 'This cloud instance has no Cloud API settings');
    if (await this.blocks.isBlocked(m.instanceId)) throw this.waiting();
    let account: CloudSettings = first;
    const pairKey = `${m.instanceId}>${m.recipient}`;
    for (let retried = false; ; retried = true) {
      try {
        return await this.sendWith(account, m, pairKey);
      } catch (err) {
        if (!(err instanceof GraphApiError)) throw err;
        // A rejected token held in memory may be an old one (replaced through another node): once more with the stored one.
        const stored: CloudSettings | undefined = err.code === 190 && !retried ? await this.storedIfReplaced(m.instanceId, account.accessToken) : undefined;
        if (stored === undefined) throw await this.failed(m.instanceId, pairKey, err);
        account = stored;
      }
    }
  }

  /** The stored account, when its token is not the one given. */
  private async storedIfReplaced(instanceId: string, token: string): Promise<CloudSettings | undefined> {
    this.accounts.forget(instanceId);
    const stored = await this.accounts.get(instanceId);
    return stored !== undefined && stored.accessToken !== token ? stored : undefined;
  }

  /** Uploads the file if needed and sends the parts Graph has not taken yet; the first part's wamid. */
  private async sendWith(account: CloudSettings, m: OutgoingMessage, pairKey: string): Promise<SendResult> {
    const client = GraphClient.of(account);
    const done = await this.rows.sentParts(m.instanceId, m.messageId);
    const missing = (mediaId: string) =>
      cloudBodies(m, mediaId)
        .map((body, part) => ({ body, part }))
        .filter(({ part }) => !done.has(part));
    const count = missing('').length;
    if (count === 0) {
      // Every part went out before (an earlier attempt failed after recording them): its statuses may be waiting.
      const first = done.get(0) ?? '';
      await this.apply(await this.rows.statusesOf(m.instanceId, first));
      return { providerId: first };
    }
    // The pair rate first: a message held back uploads nothing.
    const until = this.pairs.take(pairKey, count);
    if (until !== undefined) {
      throw new NotBeforeError(
        'pair_rate_limited',
        `Cloud API allows about one message per 6 seconds to the same person; this one waits until ${new Date(until).toISOString()}`,
        until,
      );
    }
    // A retry whose file went out already needs no upload (its first part is not sent again).
    const mediaId = m.media === undefined || done.has(0) ? 'already-sent' : await client.upload(m.media.bytes, m.media.mime, m.media.filename);
    const pace = this.paceOf(m.instanceId, account.throughput);
    for (const { body, part } of missing(mediaId)) {
      await pace.turn(m.signal);
      const answer = await client.send(body);
      done.set(part, answer.wamid);
      await this.apply(
        await this.rows.recordSend(m.instanceId, [{ messageId: m.messageId, wamid: answer.wamid, part, waId: answer.waId ?? null }], this.now()),
      );
    }
    const first = done.get(0);
    if (first === undefined) throw new Error('no first part');
    return { providerId: first };
  }

  /** Applies statuses that arrived before their send was recorded. */
  private async apply(statuses: MatchedStatus[]): Promise<void> {
    if (statuses.length > 0) await this.receipts.record(receiptsOf(statuses));
  }

  private async failed(instanceId: string, pairKey: string, err: GraphApiError): Promise<CodedError> {
    if (err.code === 190) {
      await this.blocks.block(instanceId);
      return this.waiting();
    }
    const coded = codedFromGraph(err);
    // Meta's limits are not the message's fault: it waits (its attempt given back) for as long as they say.
    if (err.code === 131056) {
      this.pairs.spent(pairKey);
      return new NotBeforeError(coded.code, coded.message, this.now() + PAIR_EVERY_MS);
    }
    if (err.code === 130429 || err.code === 80007 || err.code === 4) {
      this.paces.get(instanceId)?.holdBack(RATE_HOLD_MS);
      return new NotBeforeError(coded.code, coded.message, this.now() + RATE_HOLD_MS);
    }
    return coded;
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
    // The account read for this send decides (it may have been replaced on another node).
    pace.rate = perSecond;
    return pace;
  }
}
