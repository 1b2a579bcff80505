/**
 * The gateway's Prometheus metrics, on a registry of their own (passed in, so
 * tests and several gateways in one process never share counters). Values
 * that live in the database (queue depth, instance states) are read when
 * scraped; the rest are counted as things happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueReading {
  instance_id: string;
  depth: number;
  oldest: number;
}

export interface InstanceStateReading {
  engine: string;
  state: string;
  count: number;
}

export interface ScrapeSources {
  queues: () => Promise<QueueReading[]>;
  instanceStates: () => Promise<InstanceStateReading[]>;
  now?: () => number;
  /** Leases this node holds (a cluster on PostgreSQL). */
  leasesHeld?: () => number;
}

/** How long one reading of the queues serves scrapes. */
const QUEUE_READING_MS = 5_000;
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400];

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly acceptLatency: Histogram<'type'>;
  readonly dispatchLatency: Histogram<'engine'>;
  readonly sends: Counter<'engine' | 'outcome'>;
  readonly receipts: Counter<'status'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookLag: Histogram;
  readonly leaseMoves: Counter<'reason'>;
  readonly heartbeats: Counter<'result'>;

  constructor(sources: ScrapeSources) {
    const registers = [this.registry];
    const now = sources.now ?? Date.now;
    // One database reading per scrape (both queue gauges share it), reused for a
    // few seconds so that scraping in a loop cannot keep the event loop busy.
    let reading: { at: number; queues: Promise<QueueReading[]> } | undefined;
    const queues = (): Promise<QueueReading[]> => {
      const t = now();
      if (reading === undefined || t - reading.at >= QUEUE_READING_MS) {
        const queues = sources.queues();
        reading = { at: t, queues };
        // A failed reading is not kept: the next scrape reads again.
        queues.catch(() => {
          if (reading?.queues === queues) reading = undefined;
        });
      }
      return reading.queues;
    };
    // Process metrics, event-loop delay (nodejs_eventloop_lag_*) included.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.requests = new Counter({
      name: 'connexa_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.acceptLatency = new Histogram({
      name: 'connexa_accept_duration_seconds',
      help: 'Time to accept a send (request to durable 200), by message type',
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.dispatchLatency = new Histogram({
      name: 'connexa_dispatch_latency_seconds',
      help: 'From a message being accepted to its first hand-off to the engine',
      labelNames: ['engine'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.sends = new Counter({
      name: 'connexa_sends_total',
      help: 'Send attempts by engine and outcome (sent, retry, failed), failures before the engine included',
      labelNames: ['engine', 'outcome'],
      registers,
    });
    this.receipts = new Counter({
      name: 'connexa_receipts_total',
      help: 'Receipts applied to sent messages, by status',
      labelNames: ['status'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'connexa_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, dead)',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookLag = new Histogram({
      name: 'connexa_webhook_lag_seconds',
      help: 'From an event being recorded to its delivery',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.leaseMoves = new Counter({
      name: 'connexa_cluster_lease_moves_total',
      help: 'Instance leases this node acquired, lost or handed over (a cluster on PostgreSQL)',
      labelNames: ['reason'],
      registers,
    });
    this.heartbeats = new Counter({
      name: 'connexa_cluster_heartbeats_total',
      help: 'Lease heartbeats of this node by result (ok, failed)',
      labelNames: ['result'],
      registers,
    });
    const leasesHeld = sources.leasesHeld;
    if (leasesHeld !== undefined) {
      new Gauge({
        name: 'connexa_cluster_leases_held',
        help: 'Instance leases this node holds',
        registers,
        collect() {
          this.set(leasesHeld());
        },
      });
    }
    new Gauge({
      name: 'connexa_queue_depth',
      help: 'Messages waiting to be sent, per instance',
      labelNames: ['instance_id'],
      registers,
      async collect() {
        const read = await queues();
        this.reset();
        for (const q of read) this.set({ instance_id: q.instance_id }, q.depth);
      },
    });
    new Gauge({
      name: 'connexa_queue_oldest_age_seconds',
      help: 'Age of the oldest message waiting to be sent, per instance',
      labelNames: ['instance_id'],
      registers,
      async collect() {
        const read = await queues();
        this.reset();
        const t = now();
        for (const q of read) this.set({ instance_id: q.instance_id }, Math.max(0, (t - q.oldest) / 1000));
      },
    });
    new Gauge({
      name: 'connexa_instances',
      help: 'Instances by engine and connection state',
      labelNames: ['engine', 'state'],
      registers,
      async collect() {
        const read = await sources.instanceStates();
        this.reset();
        for (const s of read) this.set({ engine: s.engine, state: s.state }, s.count);
      },
    });
  }
}
