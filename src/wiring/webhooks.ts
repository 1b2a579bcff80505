/** Webhooks: the outbox events are written to, the endpoints, the delivery log and the deliverer. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Ownership } from '../domain/ownership.js';
import type { Sealer } from '../crypto/sealer.js';
import { UuidV7, uuidV7Time } from '../domain/uuid7.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../store/database.js';
import type { EventLogFilter } from '../store/event-log.js';
import { WebhookDeliveryStatements } from '../store/webhook-deliveries.js';
import { WebhookEndpointStatements } from '../store/webhook-endpoints.js';
import { WebhookOutboxStatements } from '../store/webhook-outbox.js';
import { WebhookDeliverer } from '../webhooks/deliverer.js';

export interface Webhooks {
  outbox: WebhookOutboxStatements;
  endpoints: WebhookEndpointStatements;
  deliveries: WebhookDeliveryStatements;
  deliverer: WebhookDeliverer;
}

/** `nodeId`: a node of a cluster delivers the events of the instances whose lease it holds. */
export function buildWebhooks(
  store: Store,
  sealer: Sealer,
  metrics: Metrics,
  config: Config['webhooks'],
  logger: Logger,
  /** Which instances' events also go to the event log (the live stream's). */
  logged: EventLogFilter,
  cluster?: { nodeId: string; ownership: Ownership },
): Webhooks {
  const eventIds = new UuidV7();
  const endpoints = new WebhookEndpointStatements(store, sealer);
  const deliveries = new WebhookDeliveryStatements(store, cluster?.nodeId);
  const deliverer = new WebhookDeliverer(
    deliveries,
    endpoints,
    {
      allowPrivateNetworks: config.allowPrivateNetworks,
      timeoutMs: config.timeoutMs,
      retryScale: config.retryScale,
      pollMs: config.pollMs,
      // Each receiver gets one delivery at a time; many places, so that dead receivers waiting out their timeout leave room.
      maxConcurrent: config.maxConcurrent,
      ...(cluster !== undefined ? { ownership: cluster.ownership } : {}),
      onOutcome: (outcome, event) => {
        metrics.webhookDeliveries.inc({ outcome: outcome.kind });
        const created = uuidV7Time(event.event_id.replace(/^evt_/, ''));
        if (outcome.kind === 'delivered' && created !== undefined) metrics.webhookLag.observe(Math.max(0, outcome.at - created) / 1000);
      },
    },
    logger.child({ component: 'webhooks' }),
  );
  return { outbox: new WebhookOutboxStatements(() => eventIds.next(), logged), endpoints, deliveries, deliverer };
}
