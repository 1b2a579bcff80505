/**
 * Assembles the gateway from a validated config (the parts are built in
 * wiring/) and runs them as one lifecycle: started in list order (storage,
 * engines, background work, the HTTP server last), stopped in reverse (stop
 * accepting, finish in-flight requests, drain accepted messages, let the
 * dispatcher finish what it holds, stop the engines, close the database).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AdminService } from './admin/service.js';
import { createDemoIfEmpty, demoBanner, resolveAdminToken, resolveSecretKey } from './bootstrap.js';
import type { Config } from './config.js';
import { Sealer } from './crypto/sealer.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { EngineResolver } from './dispatch/engine-resolver.js';
import { MediaPreparer } from './dispatch/media-preparer.js';
import { baileysMediaDownloader, type InboundMediaDownloader } from './engines/baileys/inbound-media.js';
import type { SocketFactory } from './engines/baileys/socket-port.js';
import { isEngineName, type Engine, type EngineName } from './engines/engine.js';
import { SandboxEngine } from './engines/sandbox/engine.js';
import { SandboxScheduler } from './engines/sandbox/scheduler.js';
import { UploadSlots } from './accept/upload-slots.js';
import { buildApp } from './http/app.js';
import { AuthFailures } from './http/auth-failures.js';
import { InstanceAuthenticator } from './http/instance-auth.js';
import { isLoopback } from './http/loopback.js';
import type { Readiness } from './http/routes/health.js';
import { meteredEngine } from './metrics/metered-engine.js';
import { Metrics } from './metrics/metrics.js';
import { InstanceStateStatements } from './store/instance-states.js';
import { OutboxStatements } from './store/outbox.js';
import { OutcomeStatements } from './store/outcomes.js';
import { QueueDepthStatements } from './store/queue-depth.js';
import { ReceiptStatements, type Receipt } from './store/receipts.js';
import { SandboxInboxStatements } from './store/sandbox-inbox.js';
import { Lifecycle } from './wiring/lifecycle.js';
import { buildSender } from './wiring/sender.js';
import { openStorage } from './wiring/storage.js';
import { buildWebhooks } from './wiring/webhooks.js';
import { EventFeed } from './events/event-feed.js';
import { EventLogStatements } from './store/event-log.js';
import { StreamInterest } from './events/stream-interest.js';
import { buildWhatsApp } from './wiring/whatsapp.js';
import { buildCloud } from './wiring/cloud.js';
import { buildCluster, CREDENTIALS_CHANNEL, EVENT_STREAMS_CHANNEL, LEASES_CHANNEL, WORK_CHANNEL } from './wiring/cluster.js';
import { OWNS_ALL, SINGLE_NODE } from './domain/ownership.js';
import { clusterOwners } from './cluster/owners.js';
import { clusterView, singleNodeView } from './cluster/view.js';
import { countInstances } from './store/instances.js';
import { LeaseStatements } from './store/leases.js';

/** How often a node reads which instances' events are streamed (a new stream also signals at once). */
const INTEREST_REFRESH_MS = 1_000;
/** Sent WhatsApp messages are kept this long for recipients' retry requests. */
const SENT_KEPT_MS = 7 * 24 * 60 * 60_000;
/** Cloud API message ids and statuses: Meta retries a webhook for up to 7 days, a status may come later still. */
const CLOUD_STATUSES_KEPT_MS = 30 * 24 * 60 * 60_000;
/** Delivered and dead-lettered webhook events stay visible (and replayable) this long. */
const WEBHOOK_EVENTS_KEPT_MS = 30 * 24 * 60 * 60_000;

export interface Gateway {
  app: FastifyInstance;
  /** The address the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  logger: Logger;
  /** Where one-time secrets (demo token, generated admin token) are shown. */
  print: (text: string) => void;
  /** Builds WhatsApp Web sockets; Baileys' real ones unless a test passes its own. */
  whatsappConnect?: SocketFactory;
  /** Fetches received files from WhatsApp's servers; Baileys' own unless a test passes its own. */
  whatsappMedia?: InboundMediaDownloader;
}

export async function startGateway(config: Config, { logger, print, whatsappConnect, whatsappMedia }: GatewayOptions): Promise<Gateway> {
  const life = new Lifecycle();
  const { store, spool } = await openStorage(config, logger);
  life.add({
    name: 'storage',
    stop: async () => {
      await store.close();
      await spool.close();
    },
  });

  // Created on the first start so that everything sealed later uses one stable key.
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir);
  if (secretKey.generatedAt !== undefined) {
    logger.warn({ file: secretKey.generatedAt }, 'generated the key that encrypts stored secrets; back it up with the database');
  }
  const sealer = new Sealer(secretKey.key);
  const queueDepth = new QueueDepthStatements(store);
  const instanceStates = new InstanceStateStatements(store);
  let leasesHeld = (): number => 0;
  const metrics = new Metrics({
    queues: () => queueDepth.snapshot(),
    instanceStates: () => instanceStates.all(),
    ...(store.dialect === 'postgres' ? { leasesHeld: () => leasesHeld() } : {}),
  });
  // Several nodes on one PostgreSQL: each works on the instances whose lease it holds.
  const cluster = buildCluster(config, store, metrics, logger);
  // PostgreSQL: the leases as every node reads them (owners of calls passed on, the cluster view), on the main pool.
  const leaseViews = store.dialect === 'postgres' ? new LeaseStatements(store) : undefined;
  const keeper = cluster?.keeper;
  if (keeper !== undefined) leasesHeld = () => keeper.count;
  const ownership = keeper ?? OWNS_ALL;
  const eventLog = new EventLogStatements(store);
  const interest = new StreamInterest(eventLog, config.events.keptMs, logger.child({ component: 'events' }));
  const webhooks = buildWebhooks(store, sealer, metrics, config.webhooks, logger, interest, keeper && { nodeId: keeper.nodeId, ownership: keeper });
  const receiptStatements = new ReceiptStatements(store, webhooks.outbox);
  const receipts = {
    record: (batch: Receipt[]): Promise<void> => {
      for (const r of batch) metrics.receipts.inc({ status: r.status });
      return receiptStatements.apply(batch);
    },
  };
  const inbox = new SandboxInboxStatements(store, keeper);
  const sandbox = new SandboxEngine(inbox, config.sandbox);
  const whatsapp = buildWhatsApp({ store, sealer, webhooks: webhooks.outbox, receipts, config: config.whatsapp, logger, connect: whatsappConnect, ownership });
  const cloud = buildCloud(store, sealer, receipts, whatsapp.statements);
  /** The one list of engines. */
  const engines = new Map<EngineName, Engine>([
    ['sandbox', meteredEngine(sandbox, metrics)],
    ['baileys', meteredEngine(whatsapp.engine, metrics)],
    ['cloud', meteredEngine(cloud.engine, metrics)],
  ]);
  const engineResolver = new EngineResolver(store.db, engines);
  const dispatcher = new Dispatcher(
    new OutboxStatements(store, keeper),
    new OutcomeStatements(store, webhooks.outbox, spool),
    engineResolver,
    new MediaPreparer(store, spool, {
      globalMaxBytes: config.mediaMaxBytes,
      fetchTimeoutMs: config.mediaFetchTimeoutMs,
      allowPrivateNetworks: config.mediaAllowPrivateNetworks,
      maxConcurrentDownloads: config.mediaMaxConcurrentDownloads,
    }),
    {
      nodeId: config.nodeId,
      ...config.dispatch,
      maxActiveLanes: 2000,
      onOutcome: (outcome, engine) => metrics.sends.inc({ engine: engine ?? 'unresolved', outcome: outcome.kind }),
      laneBatch: 50,
      ownership,
      onForeignWork: () => store.signals?.signal(WORK_CHANNEL),
    },
    logger.child({ component: 'dispatcher' }),
  );
  const scheduler = new SandboxScheduler(inbox, receipts, 200, Date.now, (err) => logger.error({ err }, 'sandbox scheduler failed; will retry'));
  const { sender, acceptor, idempotency } = buildSender(config, store, spool, queueDepth, () => {
    dispatcher.wake();
    // The instance's owner may be another node.
    store.signals?.signal(WORK_CHANNEL);
  });
  cluster?.bind({
    adopt: (ids) => {
      // Taken over: what this node remembers of their tokens may be old.
      cloud.engine.refresh().catch((err: unknown) => logger.error({ err }, 'could not read the cloud accounts again'));
      dispatcher.adopt(ids).catch((err: unknown) => logger.error({ err }, 'could not take over the lanes of instances taken over'));
    },
    forget: (id) => dispatcher.forget(id),
    drain: async (ids) => {
      await dispatcher.drain(ids);
      await webhooks.deliverer.drain(ids);
    },
    connect: (ids) => {
      whatsapp.sessions.startSome(ids).catch((err: unknown) => logger.error({ err }, 'could not reconnect the sessions taken over'));
    },
    disconnect: (id) => whatsapp.sessions.forget(id),
  });
  // A new instance is taken at once: by this node if it is below its share (before the creation is answered), else by another.
  const admin = new AdminService(
    store.db,
    [...engines.keys()],
    Date.now,
    async () => {
      store.signals?.signal(LEASES_CHANNEL);
      await keeper?.tick().catch(() => undefined);
    },
    {
      ...cloud.accounts,
      replaced: async (id) => {
        await cloud.accounts.replaced(id);
        // The other nodes read the account again (Meta's webhooks reach every node).
        store.signals?.signal(CREDENTIALS_CHANNEL);
      },
    },
  );
  const adminToken = resolveAdminToken(config.adminToken, config.dataDir);
  const readiness: Readiness = { shuttingDown: false, started: false, ...(keeper !== undefined ? { leasesHealthy: () => keeper.healthy() } : {}) };
  const sharedLimiter = store.sharedLimiter?.bind(store);
  const authFailureOptions = {
    maxFailures: config.limits.authMaxFailures,
    windowSeconds: config.limits.authFailureWindowS,
    lockoutDelayMs: config.limits.authLockoutDelayMs,
    // Several nodes: a guesser is counted once, whichever nodes it reaches.
    ...(sharedLimiter !== undefined ? { shared: sharedLimiter } : {}),
  };
  const auth = new InstanceAuthenticator(store.db, new AuthFailures(authFailureOptions));
  // Open event streams end as the HTTP server stops.
  const streamsEnd = new AbortController();
  const app = buildApp({
    logger,
    db: store.db,
    auth,
    readiness,
    metrics,
    admin,
    engineOf: (name) => (isEngineName(name) ? engines.get(name) : undefined),
    instanceDeleted: (id) => {
      engineResolver.forget(id);
      cloud.engine.forget(id);
      dispatcher.forget(id);
      // The other nodes drop the credentials they keep in memory.
      store.signals?.signal(CREDENTIALS_CHANNEL);
    },
    credentialsChanged: () => store.signals?.signal(CREDENTIALS_CHANNEL),
    cluster:
      leaseViews === undefined
        ? { owners: SINGLE_NODE, view: async () => singleNodeView(config.nodeId, await countInstances(store.db)) }
        : { owners: clusterOwners(config.nodeId, keeper, leaseViews), view: () => clusterView(leaseViews, config.nodeId, config.cluster.leaseMs) },
    access: {
      trustedProxies: config.trustedProxies,
      loopbackOnly: isLoopback(config.host),
      connectionLimits: config.http,
      uploads: new UploadSlots({
        largeBytes: 4 * 1024 * 1024,
        maxInFlight: config.http.maxLargeUploads,
        maxPerInstance: config.http.maxLargeUploadsPerInstance,
      }),
      adminToken: adminToken.token,
      metricsToken: config.metricsToken,
      tokenFailures: new AuthFailures(authFailureOptions),
    },
    sending: {
      sender,
      overload: config.overload,
      acceptStats: (windowMs) => acceptor.stats(windowMs),
      mediaMaxBytes: config.mediaMaxBytes,
      waitingMessages: (id) => queueDepth.depth(id),
    },
    inbox,
    whatsapp: {
      sessions: whatsapp.sessions,
      statements: whatsapp.statements,
      downloadInboundMedia: whatsappMedia ?? baileysMediaDownloader(whatsapp.sessions, logger.child({ component: 'whatsapp-media' })),
    },
    webhooks: { endpoints: webhooks.endpoints, deliveries: webhooks.deliveries, allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
    cloud: cloud.inbound,
    events: {
      log: eventLog,
      // PostgreSQL commits out of id order: a missing id is waited for a while (see events/event-feed.ts).
      feed: new EventFeed(
        eventLog,
        { pollMs: config.events.pollMs, gapGraceMs: store.dialect === 'postgres' ? 3_000 : 0 },
        logger.child({ component: 'events' }),
      ),
      maxStreams: config.events.maxStreams,
      maxStreamsPerInstance: config.events.maxStreamsPerInstance,
      recheckMs: config.events.recheckMs,
      shutdown: streamsEnd.signal,
      streamOpened: async (subject) => {
        const known = interest.wants(subject);
        await interest.touch(subject);
        if (!known) store.signals?.signal(EVENT_STREAMS_CHANNEL);
      },
    },
  });

  const prune = (what: string, work: () => Promise<unknown>): void => {
    work().catch((err: unknown) => logger.error({ err }, `could not prune ${what}`));
  };
  const sending = config.dispatch.enabled;
  let pruneTimer: NodeJS.Timeout | undefined;
  let interestTimer: NodeJS.Timeout | undefined;
  life.add({
    name: 'event stream interest',
    start: async () => {
      await interest.refresh();
      interestTimer = setInterval(() => void interest.refresh(), INTEREST_REFRESH_MS);
      await store.signals?.listen(EVENT_STREAMS_CHANNEL, () => void interest.refresh());
    },
    stop: () => clearInterval(interestTimer),
  });
  life.add({
    name: 'engines',
    start: async () => {
      for (const engine of engines.values()) await engine.start();
    },
    stop: async () => {
      for (const engine of engines.values()) await engine.stop();
    },
  });
  if (sending) {
    life.add({ name: 'webhook deliverer', start: () => webhooks.deliverer.start(), stop: () => webhooks.deliverer.stop() });
    life.add({ name: 'whatsapp sessions', start: () => whatsapp.sessions.startAll(), stop: () => whatsapp.sessions.stopAll() });
    life.add({ name: 'sandbox scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() });
    // Leases start before the dispatcher, and stop after it: a stopping dispatcher cuts its waits short and
    // records what it sent, then the leases are handed over with nothing in hand.
    if (keeper !== undefined) {
      life.add({
        name: 'leases',
        start: async () => {
          await store.signals?.listen(WORK_CHANNEL, () => dispatcher.wake());
          // A new instance, or leases given up: a heartbeat now, so a node below its share takes them at once.
          await store.signals?.listen(LEASES_CHANNEL, () => void keeper.tick());
          await keeper.start();
        },
        stop: async () => {
          try {
            await keeper.stop();
          } finally {
            await cluster?.close();
          }
        },
      });
    }
    life.add({ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() });
  } else {
    logger.warn('CONNEXA_DISPATCH=false: this node accepts messages but does not send them');
  }
  if (store.signals !== undefined) {
    const signals = store.signals;
    life.add({
      name: 'credentials signal',
      start: () =>
        signals.listen(CREDENTIALS_CHANNEL, () => {
          auth.forgetAll();
          cloud.engine.refresh().catch((err: unknown) => logger.error({ err }, 'could not read the cloud accounts again'));
        }),
    });
  }
  life.add({ name: 'accept writer', stop: () => acceptor.drain() });
  life.add({
    name: 'pruning',
    start: () => {
      const pruneAll = (): void => {
        prune('idempotency keys', () => idempotency.pruneBefore(Date.now() - config.limits.idempotencyTtlMs));
        if (!sending) return;
        prune('sent messages', () => whatsapp.statements.pruneSent(Date.now() - SENT_KEPT_MS));
        prune('Cloud API statuses', () => cloud.statements.prune(Date.now() - CLOUD_STATUSES_KEPT_MS));
        prune('webhook events', () => webhooks.deliveries.pruneFinished(Date.now() - WEBHOOK_EVENTS_KEPT_MS));
        prune('the event log', () => eventLog.pruneBefore(Date.now() - config.events.keptMs));
        prune('event streams', () => eventLog.pruneStreams(Date.now() - config.events.keptMs));
        if (leaseViews !== undefined) prune('lease moves and silent nodes', () => leaseViews.prune(WEBHOOK_EVENTS_KEPT_MS, 24 * 60 * 60_000));
      };
      pruneAll();
      pruneTimer = setInterval(pruneAll, 60 * 60_000);
      pruneTimer.unref();
    },
    stop: () => clearInterval(pruneTimer),
  });
  let url = '';
  life.add({
    name: 'http',
    start: async () => {
      const address = await app.listen({ port: config.port, host: config.host });
      url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
      readiness.started = true;
    },
    stop: async () => {
      readiness.shuttingDown = true;
      streamsEnd.abort();
      // Requests in flight finish; their keep-alive connections are closed as
      // soon as they go idle, so a busy client cannot hold the stop open.
      const closing = app.close();
      const sweep = setInterval(() => {
        app.server.closeIdleConnections();
        app.closeSilentConnections();
      }, 50);
      await closing;
      clearInterval(sweep);
      logger.debug('http server closed; draining accepted messages');
    },
  });

  const demo = config.demoOnFirstStart ? await createDemoIfEmpty(store.db, admin) : undefined;
  await life.start();
  logger.info({ url, nodeId: config.nodeId, database: config.database.dialect }, 'connexa is listening');
  if (adminToken.generatedAt !== undefined) {
    print(`\n  Generated an admin token (CONNEXA_ADMIN_TOKEN was not set), saved in ${adminToken.generatedAt}:\n\n    ${adminToken.token}\n`);
  }
  if (demo !== undefined) print(demoBanner(demo, url));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await life.stop((part, err) => logger.error({ err, part }, 'could not stop cleanly'));
      logger.info('stopped');
    })();
    return stopping;
  };
  return { app, url, stop };
}
