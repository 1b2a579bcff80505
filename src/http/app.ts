/**
 * The Fastify application: error handling, request logging, and the routes,
 * each given exactly the dependencies it needs.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AdminService } from '../admin/service.js';
import type { Sender } from '../accept/sender.js';
import type { AcceptStats } from '../dispatch/acceptor.js';
import { registerOverloadGuard, type OverloadOptions } from './overload.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsRoutes } from './routes/metrics.js';
import type { SandboxInboxStatements } from '../store/sandbox-inbox.js';
import type { Db } from '../store/database.js';
import { errorHandler, sendError } from './error-handler.js';
import { ApiError } from '../domain/errors.js';
import { isMediaKind, maxBytesFor } from '../media/kinds.js';
import type { InstanceAuthenticator } from './instance-auth.js';
import type { Engine } from '../engines/engine.js';
import type { InboundMediaDownloader } from '../engines/baileys/inbound-media.js';
import type { WhatsAppSessions } from '../engines/baileys/sessions.js';
import type { WhatsAppStatements } from '../store/whatsapp.js';
import type { WebhookDeliveryStatements } from '../store/webhook-deliveries.js';
import type { WebhookEndpointStatements } from '../store/webhook-endpoints.js';
import { adminRoutes } from './routes/admin.js';
import { dashboardRoutes, defaultDashboardDir } from './dashboard.js';
import { adminInstanceRoutes } from './routes/admin-instances.js';
import { eventRoutes, type EventRouteDeps } from './routes/events.js';
import { cloudWebhookRoutes } from './routes/cloud-webhook.js';
import type { CloudInbound } from '../engines/cloud/inbound.js';
import { webhookRoutes } from './routes/webhooks.js';
import { contactRoutes } from './routes/contacts.js';
import { inboundRoutes } from './routes/inbound.js';
import { instanceRoutes } from './routes/instance.js';
import { forwardToOwner } from './forward-to-owner.js';
import { clusterRoutes } from './routes/cluster.js';
import type { ClusterView } from '../cluster/view.js';
import type { OwnerDirectory } from '../domain/ownership.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { messageStatusRoutes } from './routes/message-status.js';
import { messageListRoutes } from './routes/message-list.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { sendRoutes } from './routes/send.js';
import type { AuthFailures } from './auth-failures.js';
import type { UploadSlots } from '../accept/upload-slots.js';
import { capConnections, registerBodyLimits, serverTimeouts, type ConnectionLimits } from './connection-limits.js';
import { clientErrorHandler, frameworkErrors, registerRequestGuards } from './framework-errors.js';
import { registerJsonBody } from './json-body.js';
import { registerMediaBody } from './media-body.js';
import { registerOpenApi, type RouteRecord } from './openapi.js';
import { trackSilentConnections } from './silent-connections.js';

/** The API's version in its reference (the contract's routes live under /api/v1). */
const API_VERSION = '1.0.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route, with whether it documents its responses (see openapi.ts). */
    routeTable: RouteRecord[];
    /** Closes the connections that never sent a request (a graceful stop calls it). */
    closeSilentConnections: () => void;
  }
}

/** Who may reach what, and how much of the server a client may hold. */
export interface AccessDeps {
  /** Reverse proxies whose X-Forwarded-For names the client (CONNEXA_TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Whether the server listens on loopback only (then /metrics needs no token). */
  loopbackOnly: boolean;
  /** Timeouts, body rate and connection caps (CONNEXA_HTTP_*). */
  connectionLimits: ConnectionLimits;
  /** Large media bodies in flight at once. */
  uploads: UploadSlots;
  adminToken: string;
  metricsToken: string | undefined;
  /** Wrong admin and metrics tokens, throttled per address. */
  tokenFailures: AuthFailures;
}

/** The send routes: the use case, load shedding and limits. */
export interface SendingDeps {
  sender: Sender;
  overload: OverloadOptions;
  acceptStats: (windowMs: number) => AcceptStats;
  mediaMaxBytes: number;
  /** Messages of an instance not yet sent (queued, waiting for its number, or between retries). */
  waitingMessages: (instanceId: string) => Promise<number>;
}

export interface AppDeps {
  logger: FastifyBaseLogger;
  db: Db;
  auth: InstanceAuthenticator;
  readiness: Readiness;
  metrics: Metrics;
  admin: AdminService;
  /** The engine of an engine name, for its capabilities (linking, contact lookup). */
  engineOf: (name: string) => Engine | undefined;
  instanceDeleted: (instanceId: string) => void;
  /** An instance token was replaced: the other nodes drop the credentials they keep. */
  credentialsChanged: () => void;
  access: AccessDeps;
  sending: SendingDeps;
  inbox: SandboxInboxStatements;
  whatsapp: { sessions: WhatsAppSessions; statements: WhatsAppStatements; downloadInboundMedia: InboundMediaDownloader };
  webhooks: { endpoints: WebhookEndpointStatements; deliveries: WebhookDeliveryStatements; allowPrivateNetworks: boolean };
  cluster: { owners: OwnerDirectory; view: () => Promise<ClusterView> };
  /** Meta's webhooks for cloud instances, and their received files. */
  cloud: CloudInbound;
  /** Where the built dashboard is (dist/web unless given). */
  dashboardDir?: string;
  /** The live event stream: the log, the node's feed of it, the caps on open streams. */
  events: Pick<EventRouteDeps, 'log' | 'feed' | 'maxStreams' | 'maxStreamsPerInstance' | 'recheckMs' | 'shutdown' | 'streamOpened'>;
}

const TEXT_BODY_LIMIT = 64 * 1024;
const SEND_ROUTE_PREFIX = '/api/v1/message/';

/** A base64 body is 4/3 of the file, plus JSON around it. */
export function mediaBodyLimit(mediaMaxBytes: number): number {
  return Math.ceil(mediaMaxBytes / 3) * 4 + 64 * 1024;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { access, sending } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Fastify's per-request lines are replaced by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // No coercion: `"text": 123` is a type error, not the string "123".
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false } },
    bodyLimit: TEXT_BODY_LIMIT,
    // Our own 503 (below) keeps the error shape and adds Retry-After.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // The client address comes from X-Forwarded-For only through the proxies trusted by configuration.
    trustProxy: access.trustedProxies.length > 0 ? access.trustedProxies : false,
    frameworkErrors,
    clientErrorHandler,
    ...serverTimeouts(access.connectionLimits),
  });
  capConnections(app.server, access.connectionLimits, access.trustedProxies);
  app.decorate('closeSilentConnections', trackSilentConnections(app.server));
  registerBodyLimits(app, access.connectionLimits);
  app.decorateRequest('instance', null);
  registerJsonBody(app);
  registerRequestGuards(app);
  // Before the first route: the reference is built from the routes as they are added.
  app.decorate('routeTable', registerOpenApi(app, API_VERSION));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, new ApiError(404, 'not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`)));
  app.addHook('onRequest', async () => {
    if (deps.readiness.shuttingDown) {
      throw new ApiError(503, 'shutting_down', 'The gateway is restarting; retry shortly', undefined, { 'Retry-After': '5' });
    }
  });
  // Problems are logged at info, the rest at debug, so a busy gateway's log stays readable.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.requests.inc({ route, method: request.method, status: reply.statusCode });
    if (reply.statusCode === 200 && request.method === 'POST' && route.startsWith(SEND_ROUTE_PREFIX) && !route.includes(':')) {
      deps.metrics.acceptLatency.observe({ type: route.slice(SEND_ROUTE_PREFIX.length) }, reply.elapsedTime / 1000);
    }
    const line = { method: request.method, url: route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 400) request.log.info(line, 'request');
    else request.log.debug(line, 'request');
  });

  // Every route inside one plugin, registered after the reference's: it sees each of them.
  void app.register(async (api) => {
    healthRoutes(api, { db: deps.db, readiness: deps.readiness });
    metricsRoutes(api, { metrics: deps.metrics, token: access.metricsToken, loopbackOnly: access.loopbackOnly, tokenFailures: access.tokenFailures });
    // Sends shed load when the process is overloaded; nothing else does.
    void api.register(async (scope) => {
      await registerOverloadGuard(scope, sending.overload, sending.acceptStats);
      registerMediaBody(scope, (request) => {
        const type = (request.routeOptions.url ?? '').slice(SEND_ROUTE_PREFIX.length);
        return isMediaKind(type) ? maxBytesFor(type, sending.mediaMaxBytes) : undefined;
      });
      sendRoutes(scope, {
        auth: deps.auth,
        sender: sending.sender,
        textBodyLimit: TEXT_BODY_LIMIT,
        mediaBodyLimit: (kind) => mediaBodyLimit(maxBytesFor(kind, sending.mediaMaxBytes)),
        uploads: access.uploads,
      });
    });
    messageStatusRoutes(api, { db: deps.db, auth: deps.auth });
    messageListRoutes(api, { db: deps.db, auth: deps.auth });
    sandboxRoutes(api, { inbox: deps.inbox, auth: deps.auth });
    clusterRoutes(api, { adminToken: access.adminToken, tokenFailures: access.tokenFailures, view: deps.cluster.view });
    // Calls that need a live socket are answered by the instance's owner (another node of a cluster: passed on there).
    const linking = (engine: string): boolean => deps.engineOf(engine)?.capabilities.linking === true;
    const forward = forwardToOwner(deps.cluster.owners, (request) =>
      request.instance !== null && linking(request.instance.engine) ? request.instance.id : undefined,
    );
    adminRoutes(api, {
      forward: forwardToOwner(deps.cluster.owners, (request) => (request.params as { instance_id?: string }).instance_id?.toLowerCase(), 'here'),
      admin: deps.admin,
      adminToken: access.adminToken,
      tokenFailures: access.tokenFailures,
      db: deps.db,
      sessions: deps.whatsapp.sessions,
      auth: deps.auth,
      instanceDeleted: deps.instanceDeleted,
      engineOf: deps.engineOf,
    });
    void api.register(async (scope) => {
      scope.addHook('preHandler', forward);
      instanceRoutes(scope, { auth: deps.auth, sessions: deps.whatsapp.sessions, waitingMessages: sending.waitingMessages, engineOf: deps.engineOf });
      inboundRoutes(scope, {
        auth: deps.auth,
        statements: deps.whatsapp.statements,
        // A cloud instance's files are fetched from Meta with its token; a linked number's from WhatsApp's media servers.
        download: (instance, stored, refreshed) =>
          instance.engine === 'cloud' ? deps.cloud.download(instance.id, stored) : deps.whatsapp.downloadInboundMedia(instance.id, stored, refreshed),
      });
      contactRoutes(scope, { auth: deps.auth, engineOf: deps.engineOf });
    });
    dashboardRoutes(api, deps.dashboardDir ?? defaultDashboardDir());
    cloudWebhookRoutes(api, { inbound: deps.cloud });
    adminInstanceRoutes(api, {
      admin: deps.admin,
      adminToken: access.adminToken,
      tokenFailures: access.tokenFailures,
      db: deps.db,
      auth: deps.auth,
      credentialsChanged: deps.credentialsChanged,
      engineOf: deps.engineOf,
    });
    eventRoutes(api, { ...deps.events, auth: deps.auth, adminToken: access.adminToken, tokenFailures: access.tokenFailures });
    webhookRoutes(api, {
      auth: deps.auth,
      endpoints: deps.webhooks.endpoints,
      deliveries: deps.webhooks.deliveries,
      allowPrivateNetworks: deps.webhooks.allowPrivateNetworks,
    });
  });
  return app;
}
