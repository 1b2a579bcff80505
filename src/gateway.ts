/**
 * Assembles the gateway from a validated config: store → engines →
 * dispatcher → HTTP. Returns a handle that stops everything in order:
 * stop accepting, finish in-flight requests, let the dispatcher finish what
 * it holds, flush writers, close the database.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AdminService } from './admin/service.js';
import { createDemoIfEmpty, demoBanner, resolveAdminToken, resolveSecretKey } from './bootstrap.js';
import type { Config } from './config.js';
import { PhoneNormalizer } from './domain/phone.js';
import { UuidV7, uuidV7Time } from './domain/uuid7.js';
import { Metrics } from './metrics/metrics.js';
import { meteredEngine } from './metrics/metered-engine.js';
import { InstanceStateStatements } from './store/instance-states.js';
import { Acceptor } from './dispatch/acceptor.js';
import { Admission } from './accept/admission.js';
import { IdempotencyGate } from './accept/idempotency-gate.js';
import { QueueDepth } from './accept/queue-depth.js';
import { Sender } from './accept/sender.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { EngineResolver } from './dispatch/engine-resolver.js';
import { MediaPreparer } from './dispatch/media-preparer.js';
import { isEngineName, type Engine, type EngineName } from './engines/engine.js';
import { Sealer } from './crypto/sealer.js';
import { AuthStore } from './engines/baileys/auth-store.js';
import { baileysConnector } from './engines/baileys/connect.js';
import { BaileysEngine } from './engines/baileys/engine.js';
import { RecipientResolver } from './engines/baileys/recipient-resolver.js';
import { proto } from 'baileys';
import { WhatsAppSessions } from './engines/baileys/sessions.js';
import type { SocketFactory } from './engines/baileys/socket-port.js';
import { WhatsAppVersion } from './engines/baileys/wa-version.js';
import { baileysMediaDownloader, type InboundMediaDownloader } from './engines/baileys/inbound-media.js';
import { SandboxEngine } from './engines/sandbox/engine.js';
import { InboxStore } from './store/sandbox-inbox.js';
import { SandboxScheduler } from './engines/sandbox/scheduler.js';
import { isLoopback } from './http/loopback.js';
import { UploadSlots } from './accept/upload-slots.js';
import { buildApp } from './http/app.js';
import { InstanceAuthenticator } from './http/instance-auth.js';
import { AuthFailures } from './http/auth-failures.js';
import type { Readiness } from './http/routes/health.js';
import { SendValidator } from './accept/validate-send.js';
import { openStore } from './store/database.js';
import { MediaSpool } from './store/media-spool.js';
import { AcceptStatements } from './store/messages.js';
import { IdempotencyStatements } from './store/idempotency.js';
import { QueueDepthStatements } from './store/queue-depth.js';
import { migrate } from './store/migrate.js';
import { OutboxStatements } from './store/outbox.js';
import { OutcomeStatements } from './store/outcomes.js';
import { ReceiptStatements, type Receipt } from './store/receipts.js';
import { WhatsAppStatements } from './store/whatsapp.js';
import { WhatsAppAuthRows } from './store/whatsapp-auth.js';
import { WebhookDeliveries } from './store/webhook-deliveries.js';
import { WebhookEndpoints } from './store/webhook-endpoints.js';
import { WebhookOutbox } from './store/webhook-outbox.js';
import { WebhookDeliverer } from './webhooks/deliverer.js';

/** Sent WhatsApp messages are kept this long for recipients' retry requests. */
const SENT_KEPT_MS = 7 * 24 * 60 * 60_000;
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
  const store = openStore(config.database);
  const migrated = await migrate(store);
  if (!migrated.ok) {
    await store.close();
    throw new Error(`Database migration failed: ${migrated.reason}`);
  }
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
  const spool = MediaSpool.open(store, config.database, config.dataDir);
  // Files whose message was sent meanwhile, or never committed (a crash in between).
  const staleFiles = await spool.sweep();
  if (staleFiles > 0) logger.info({ files: staleFiles }, 'removed media files of messages no longer waiting');

  // Created on the first start so that everything sealed later uses one stable key.
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir);
  if (secretKey.generatedAt !== undefined) {
    logger.warn({ file: secretKey.generatedAt }, 'generated the key that encrypts stored secrets; back it up with the database');
  }
  const outbox = new OutboxStatements(store);
  const queueDepth = new QueueDepthStatements(store);
  const instanceStates = new InstanceStateStatements(store);
  const metrics = new Metrics({ queues: () => queueDepth.snapshot(), instanceStates: () => instanceStates.all() });
  const eventIds = new UuidV7();
  const webhookOutbox = new WebhookOutbox(() => eventIds.next());
  const sealer = new Sealer(secretKey.key);
  const webhookEndpoints = new WebhookEndpoints(store, sealer);
  const webhookDeliveries = new WebhookDeliveries(store);
  const deliverer = new WebhookDeliverer(
    webhookDeliveries,
    webhookEndpoints,
    {
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
      timeoutMs: config.webhooks.timeoutMs,
      retryScale: config.webhooks.retryScale,
      pollMs: config.webhooks.pollMs,
      // Each receiver gets one delivery at a time; many places, so that dead receivers waiting out their timeout leave room.
      maxConcurrent: config.webhooks.maxConcurrent,
      onOutcome: (outcome, event) => {
        metrics.webhookDeliveries.inc({ outcome: outcome.kind });
        const created = uuidV7Time(event.event_id.replace(/^evt_/, ''));
        if (outcome.kind === 'delivered' && created !== undefined) metrics.webhookLag.observe(Math.max(0, outcome.at - created) / 1000);
      },
    },
    logger.child({ component: 'webhooks' }),
  );
  const receiptStatements = new ReceiptStatements(store, webhookOutbox);
  const receipts = {
    apply: (batch: Receipt[]): Promise<void> => {
      for (const r of batch) metrics.receipts.inc({ status: r.status });
      return receiptStatements.apply(batch);
    },
  };
  const inbox = new InboxStore(store);
  const sandbox = new SandboxEngine(inbox, config.sandbox);
  const whatsapp = new WhatsAppStatements(store, webhookOutbox);
  const recipients = new RecipientResolver();
  const waVersion = new WhatsAppVersion(config.whatsapp.version, logger.child({ component: 'whatsapp' }));
  const sessions = new WhatsAppSessions({
    auth: new AuthStore(new WhatsAppAuthRows(store), sealer),
    connect:
      whatsappConnect ??
      baileysConnector({
        logger,
        getMessage: async (instanceId, id, askingJid) => {
          const bytes = await whatsapp.sentMessage(instanceId, id, askingJid);
          return bytes === undefined ? undefined : proto.Message.decode(bytes);
        },
        ...(config.whatsapp.webSocketUrl !== undefined ? { waWebSocketUrl: config.whatsapp.webSocketUrl } : {}),
        version: () => waVersion.current(),
      }),
    statements: whatsapp,
    receipts: { record: (r) => receipts.apply(r) },
    logger: logger.child({ component: 'whatsapp' }),
    staggerMs: config.whatsapp.startStaggerMs,
  });
  const engines = new Map<EngineName, Engine>([
    ['sandbox', meteredEngine(sandbox, metrics)],
    [
      'baileys',
      meteredEngine(
        new BaileysEngine(sessions, recipients, (id) => whatsapp.pacing(id), {
          willSend: (messageId, providerId) => whatsapp.willSend(messageId, providerId),
          sent: (instanceId, jid, sent) => {
            if (sent.message === null || sent.message === undefined || typeof sent.key.id !== 'string') return;
            whatsapp
              .rememberSent(instanceId, sent.key.id, jid, proto.Message.encode(sent.message).finish(), Date.now())
              .catch((err: unknown) => logger.error({ err }, 'could not keep a sent message for retries'));
          },
        }),
        metrics,
      ),
    ],
  ]);
  const scheduler = new SandboxScheduler(inbox, { record: (r) => receipts.apply(r) }, 200, Date.now, (err) =>
    logger.error({ err }, 'sandbox scheduler failed; will retry'),
  );
  const media = new MediaPreparer(store, spool, {
    globalMaxBytes: config.mediaMaxBytes,
    fetchTimeoutMs: config.mediaFetchTimeoutMs,
    allowPrivateNetworks: config.mediaAllowPrivateNetworks,
    maxConcurrentDownloads: config.mediaMaxConcurrentDownloads,
  });
  const engineResolver = new EngineResolver(store.db, engines);
  const dispatcher = new Dispatcher(
    outbox,
    new OutcomeStatements(store, webhookOutbox, spool),
    engineResolver,
    media,
    {
      nodeId: config.nodeId,
      ...config.dispatch,
      maxActiveLanes: 2000,
      onOutcome: (outcome, engine) => metrics.sends.inc({ engine: engine ?? 'unresolved', outcome: outcome.kind }),
      laneBatch: 50,
    },
    logger.child({ component: 'dispatcher' }),
  );
  const acceptor = new Acceptor(
    new AcceptStatements(store),
    spool,
    () => dispatcher.wake(),
    config.limits.idempotencyTtlMs,
    Date.now,
    config.database.dialect === 'postgres' ? config.database.acceptCommits : 1,
  );
  const idempotency = new IdempotencyStatements(store);
  const admin = new AdminService(store.db, [...engines.keys()]);
  const messageIds = new UuidV7();
  const adminToken = resolveAdminToken(config.adminToken, config.dataDir);
  const readiness: Readiness = { shuttingDown: false, started: false };
  const authFailureOptions = {
    maxFailures: config.limits.authMaxFailures,
    windowSeconds: config.limits.authFailureWindowS,
    lockoutDelayMs: config.limits.authLockoutDelayMs,
  };

  const app = buildApp({
    logger,
    db: store.db,
    auth: new InstanceAuthenticator(store.db, new AuthFailures(authFailureOptions)),
    tokenFailures: new AuthFailures(authFailureOptions),
    loopbackOnly: isLoopback(config.host),
    trustedProxies: config.trustedProxies,
    connectionLimits: config.http,
    uploads: new UploadSlots({ largeBytes: 4 * 1024 * 1024, maxInFlight: config.http.maxLargeUploads, maxPerInstance: config.http.maxLargeUploadsPerInstance }),
    sender: new Sender(
      new Admission(new QueueDepth((id) => queueDepth.depth(id)), {
        ratePerSecond: config.limits.sendRatePerInstance,
        queueMax: config.limits.queueMaxPerInstance,
        queueFullRetryAfterS: 10,
        mediaQueueMaxBytes: config.limits.mediaQueueMaxBytesPerInstance,
        mediaWaiting: (id) => queueDepth.mediaBytes(id),
      }),
      new SendValidator(
        new PhoneNormalizer(),
        {
          mediaMaxBytes: config.mediaMaxBytes,
          allowPrivateNetworks: config.mediaAllowPrivateNetworks,
        },
        () => messageIds.next(),
      ),
      acceptor,
      new IdempotencyGate(idempotency, config.limits.idempotencyTtlMs),
    ),
    overload: config.overload,
    acceptStats: (windowMs) => acceptor.stats(windowMs),
    metrics,
    metricsToken: config.metricsToken,
    instanceDeleted: (id) => {
      engineResolver.forget(id);
      dispatcher.forget(id);
    },
    inbox,
    admin,
    adminToken: adminToken.token,
    readiness,
    mediaMaxBytes: config.mediaMaxBytes,
    sessions,
    whatsapp,
    engineOf: (name) => (isEngineName(name) ? engines.get(name) : undefined),
    webhookEndpoints,
    webhookDeliveries,
    webhookAllowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    downloadInboundMedia: whatsappMedia ?? baileysMediaDownloader(sessions, logger.child({ component: 'whatsapp-media' })),
    waitingMessages: (id) => queueDepth.depth(id),
  });

  for (const engine of engines.values()) await engine.start();
  if (config.dispatch.enabled) {
    await dispatcher.start();
    scheduler.start();
    await sessions.startAll();
    deliverer.start();
    await whatsapp.pruneSent(Date.now() - SENT_KEPT_MS);
  } else {
    logger.warn('CONNEXA_DISPATCH=false: this node accepts messages but does not send them');
  }
  const prune = (what: string, work: Promise<unknown>): void => {
    work.catch((err: unknown) => logger.error({ err }, `could not prune ${what}`));
  };
  prune('idempotency keys', idempotency.pruneBefore(Date.now() - config.limits.idempotencyTtlMs));
  const pruneTimer = setInterval(() => {
    prune('idempotency keys', idempotency.pruneBefore(Date.now() - config.limits.idempotencyTtlMs));
    if (!config.dispatch.enabled) return;
    prune('sent messages', whatsapp.pruneSent(Date.now() - SENT_KEPT_MS));
    prune('webhook events', webhookDeliveries.pruneFinished(Date.now() - WEBHOOK_EVENTS_KEPT_MS));
  }, 60 * 60_000);
  pruneTimer.unref();
  const demo = config.demoOnFirstStart ? await createDemoIfEmpty(store.db, admin) : undefined;
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  readiness.started = true;
  logger.info({ url, nodeId: config.nodeId, database: config.database.dialect }, 'connexa is listening');
  if (adminToken.generatedAt !== undefined) {
    print(`\n  Generated an admin token (CONNEXA_ADMIN_TOKEN was not set), saved in ${adminToken.generatedAt}:\n\n    ${adminToken.token}\n`);
  }
  if (demo !== undefined) print(demoBanner(demo, url));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      readiness.shuttingDown = true;
      // Requests in flight finish; their keep-alive connections are closed as
      // soon as they go idle, so a busy client cannot hold the stop open.
      const closing = app.close();
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      await closing;
      clearInterval(sweep);
      logger.debug('http server closed; draining accepted messages');
      await acceptor.drain();
      await dispatcher.stop();
      logger.debug('dispatcher stopped');
      await scheduler.stop();
      sessions.stopAll();
      await deliverer.stop();
      clearInterval(pruneTimer);
      for (const engine of engines.values()) await engine.stop();
      await store.close();
      await spool.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { app, url, stop };
}
