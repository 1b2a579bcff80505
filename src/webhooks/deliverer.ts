/**
 * Delivers webhook events from the outbox: per endpoint one at a time and in
 * order; endpoints in parallel, so a slow or dead receiver never delays
 * another instance's. Every connection passes the same public-address guard
 * as media downloads. 2xx delivers; 410 disables the endpoint; anything else
 * (3xx included: redirects are not followed) is retried on the schedule,
 * honouring Retry-After, until the event is dead-lettered.
 */
import { request } from 'undici';
import type { Logger } from 'pino';
import { isPublicAddress } from '../media/address-guard.js';
import { createGuardedAgent, systemLookup, type MediaLookup } from '../media/guarded-agent.js';
import { assertLiteralAllowed, parseMediaUrl } from '../media/media-url.js';
import type { DeliveryOutcome, DueEvent, WebhookDeliveryStatements } from '../store/webhook-deliveries.js';
import type { WebhookEndpointStatements } from '../store/webhook-endpoints.js';
import { MAX_DELIVERY_ATTEMPTS, nextDelayMs, retryAfterMs } from './schedule.js';
import { signatureHeader } from './signature.js';
import { Coalescer } from '../util/coalescer.js';
import { EndpointAgents } from './endpoint-agents.js';
import { OWNS_ALL, type Ownership } from '../domain/ownership.js';

export interface DelivererOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** Multiplies the retry schedule (tests shrink it). */
  retryScale: number;
  pollMs: number;
  maxConcurrent: number;
  lookup?: MediaLookup;
  /** Told of every attempt's outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome, event: DueEvent) => void;
  /** The instances whose events this node delivers (a cluster: those it holds the lease of); all by default. */
  ownership?: Ownership;
}

export class WebhookDeliverer {
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly agents: EndpointAgents;
  private readonly claimer = new Coalescer(
    () => this.claimPass(),
    (err) => this.logger.error({ err }, 'webhook delivery loop failed; retrying'),
  );

  constructor(
    private readonly deliveries: WebhookDeliveryStatements,
    private readonly endpoints: WebhookEndpointStatements,
    private readonly o: DelivererOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const isAllowed = o.allowPrivateNetworks ? () => true : isPublicAddress;
    this.agents = new EndpointAgents(() => createGuardedAgent(o.lookup ?? systemLookup, isAllowed));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.pump(), this.o.pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
    await this.agents.closeAll();
  }

  /**
   * Resolves once no delivery of these instances is in flight here (their
   * lease is being handed over: no new one starts, so the next owner picks
   * up after the last outcome this node records, in order, never in parallel).
   */
  async drain(instanceIds: readonly string[]): Promise<void> {
    await Promise.allSettled(instanceIds.flatMap((id) => this.inFlight.get(id) ?? []));
  }

  private pump(): Promise<void> {
    return this.claimer.run();
  }

  /** Starts a delivery for the head event of each due endpoint that has none in flight. */
  private async claimPass(): Promise<boolean> {
    const room = this.o.maxConcurrent - this.inFlight.size;
    if (room <= 0 || this.timer === undefined) return false;
    for (const event of await this.deliveries.dueHeads(this.now(), [...this.inFlight.keys()], room)) {
      if (this.inFlight.has(event.instance_id) || !(this.o.ownership ?? OWNS_ALL).holds(event.instance_id)) continue;
      // When an endpoint's delivery ends, its next event goes at once, not at the next poll.
      const p = this.deliver(event).finally(() => {
        this.inFlight.delete(event.instance_id);
        void this.pump();
      });
      this.inFlight.set(event.instance_id, p);
    }
    return false;
  }

  /** Never rejects: whatever goes wrong is logged, and the event stays for a later attempt. */
  private async deliver(e: DueEvent): Promise<void> {
    try {
      await this.attempt(e);
    } catch (err) {
      this.logger.error({ err, eventId: e.event_id }, 'webhook delivery could not be completed; it will be retried');
      await this.deliveries
        .record({ kind: 'retry', id: e.id, status: null, error: 'Internal error while delivering; will retry', at: this.now(), nextAt: this.now() + 60_000 })
        .catch(() => undefined);
    }
  }

  private async attempt(e: DueEvent): Promise<void> {
    const at = this.now();
    const endpoint = await this.endpoints.get(e.instance_id, at);
    if (endpoint === undefined || !endpoint.enabled) return;
    let status: number | null = null;
    let error: string;
    let retryAfter: number | undefined;
    const isAllowed = this.o.allowPrivateNetworks ? () => true : isPublicAddress;
    const agent = this.agents.get(e.instance_id, endpoint.url);
    let healthy = false;
    try {
      const url = parseMediaUrl(endpoint.url, 'The webhook URL');
      assertLiteralAllowed(url, isAllowed);
      const timestamp = Math.floor(at / 1000);
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Connexa-Webhooks/1',
          'webhook-id': e.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(endpoint.secrets, e.event_id, timestamp, e.body),
        },
        body: e.body,
      });
      status = res.statusCode;
      retryAfter = retryAfterMs(res.headers['retry-after'], this.now());
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      healthy = status !== 410;
      if (status >= 200 && status < 300) {
        await this.settle(e, { kind: 'delivered', id: e.id, status, at: this.now() });
        return;
      }
      if (status === 410) {
        // Events keep queueing (in order) while disabled; saving the endpoint again resumes from this one.
        await this.endpoints.disableGone(e.instance_id, 'The receiver answered 410 Gone', this.now());
        await this.settle(e, {
          kind: 'retry',
          id: e.id,
          status,
          error: 'The receiver answered 410 Gone; the endpoint is disabled until it is saved again',
          at: this.now(),
          nextAt: this.now(),
        });
        return;
      }
      error = status >= 300 && status < 400 ? `The receiver answered ${status} (redirects are not followed)` : `The receiver answered ${status}`;
    } catch (err) {
      error =
        err instanceof Error && err.name === 'TimeoutError'
          ? `No answer within ${this.o.timeoutMs} ms`
          : `Could not deliver: ${err instanceof Error ? err.message.slice(0, 200) : 'network error'}`;
    } finally {
      // A failed connection, a timeout or a 410: the next attempt starts from a fresh agent.
      if (!healthy) this.agents.drop(e.instance_id);
    }
    const attempts = e.attempts + 1;
    const backoff = attempts >= MAX_DELIVERY_ATTEMPTS ? undefined : nextDelayMs(attempts, this.o.retryScale);
    // Retry-After can ask for a longer wait, never a shorter one (the schedule must span a day).
    const delay = backoff === undefined ? undefined : Math.max(backoff, retryAfter ?? 0);
    await this.settle(
      e,
      delay === undefined
        ? { kind: 'dead', id: e.id, status, error: `${error}; gave up after ${attempts} attempts`, at: this.now() }
        : { kind: 'retry', id: e.id, status, error, at: this.now(), nextAt: this.now() + delay },
    );
  }

  private settle(e: DueEvent, outcome: DeliveryOutcome): Promise<void> {
    this.o.onOutcome?.(outcome, e);
    return this.deliveries.record(outcome);
  }
}
