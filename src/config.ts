/**
 * Configuration is read once, here, from the environment and validated; the
 * resulting object is passed explicitly to everything else. No other module
 * reads `process.env`. Every bad value produces one line naming the variable.
 */
import ipaddr from 'ipaddr.js';
import os from 'node:os';
import path from 'node:path';
import { parseSecretKey } from './crypto/sealer.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SqliteConfig {
  dialect: 'sqlite';
  /** File path of the SQLite database; `:memory:` is allowed for tests. */
  file: string;
}

export interface PostgresConfig {
  dialect: 'postgres';
  /** postgres://user:password@host:port/database (a secret: never logged). */
  url: string;
  /** Connections in the pool at most. */
  poolMax: number;
  /**
   * Accept commits in flight at once. 1 is fastest where the server shares
   * the gateway's cores (measured on 2 cores: 1 > 2 > 5); a server on
   * another host, where a commit is mostly waiting, gains from 2–4.
   */
  acceptCommits: number;
  /**
   * A transaction left idle this long is ended by the server, its locks
   * released. Ours never wait between statements for anything but the event
   * loop, so one idle this long belongs to a node paused past its lease
   * (it has lost its instances): the others must not wait for it.
   */
  idleTransactionMs?: number;
}

export type DatabaseConfig = SqliteConfig | PostgresConfig;

export interface Config {
  port: number;
  host: string;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs); the
   * client address of a request through them is the last one they did not add.
   * Empty: the connection's address, X-Forwarded-For ignored.
   */
  trustedProxies: string[];
  database: DatabaseConfig;
  /** Where generated secrets (admin token) live: the directory of the SQLite file. */
  dataDir: string;
  adminToken: string | undefined;
  /** When set, GET /metrics needs it as a Bearer token. */
  metricsToken: string | undefined;
  /** Encrypts session keys and engine secrets; generated into dataDir when absent. */
  secretKey: Buffer | undefined;
  /** This node's name: `node-1` on SQLite; on PostgreSQL the host name unless set (unique per node). */
  nodeId: string;
  /** Several nodes on one PostgreSQL database (ignored on SQLite). */
  cluster: {
    /** Where the other nodes reach this one, for calls that need an instance's live socket. */
    nodeUrl: string | undefined;
    /** A node silent this long loses its instances to the others. */
    leaseMs: number;
    /** Instances a node above its fair share hands over per heartbeat. */
    handOverStep: number;
  };
  mediaMaxBytes: number;
  mediaAllowPrivateNetworks: boolean;
  mediaFetchTimeoutMs: number;
  /** Media URLs downloaded at once by the dispatcher. */
  mediaMaxConcurrentDownloads: number;
  logLevel: LogLevel;
  webhooks: {
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    /** Multiplies the retry schedule; only tests change it. */
    retryScale: number;
    pollMs: number;
    /** Deliveries in flight at once, over all endpoints (each endpoint has at most one). */
    maxConcurrent: number;
  };
  /** The live event stream (GET /api/v1/events) and the event log it reads. */
  events: {
    /** Events are kept this long: a stream resumes from each of them. */
    keptMs: number;
    /** How often a node looks for new events while a stream is open. */
    pollMs: number;
    /** Streams open at once on this node, and per instance. */
    maxStreams: number;
    maxStreamsPerInstance: number;
    /** How often an open stream checks that its credentials still hold. */
    recheckMs: number;
  };
  whatsapp: {
    /** Where Baileys connects; only tests change it (a local WebSocket server). */
    webSocketUrl: string | undefined;
    /** Delay between starting linked sessions at boot. */
    startStaggerMs: number;
    /**
     * The WhatsApp Web version to present: a fixed one (e.g. 2.3000.1027934701), `latest`
     * (fetched from WhatsApp Web when the first socket is made; Baileys' bundled one if that
     * fails) or `bundled` (Baileys' own, never fetched).
     */
    version: [number, number, number] | 'latest' | 'bundled';
  };
  /** Create a demo user and sandbox instance when the database has no users. */
  demoOnFirstStart: boolean;
  dispatch: {
    /** false: an accept-only node (stores messages, sends nothing). */
    enabled: boolean;
    /** First retry delay; later ones double, with jitter, up to maxDelayMs. */
    retryBaseMs: number;
    retryMaxDelayMs: number;
    maxAttempts: number;
    /** How often the outbox is polled when no in-process wake-up arrives. */
    pollIntervalMs: number;
    batchSize: number;
    /** A message still unsent this long after it was accepted fails with `expired`. */
    queueTtlMs: number;
  };
  sandbox: {
    deliverAfterMs: number;
    readAfterMs: number;
  };
  shutdownGraceMs: number;
  limits: {
    /** Idempotency keys are honoured this long after their first use. */
    idempotencyTtlMs: number;
    /** Sends accepted per instance per second (0: no limit). */
    sendRatePerInstance: number;
    /** Messages waiting per instance before sends get 429 queue_full (0: no limit). */
    queueMaxPerInstance: number;
    /** Bytes of media waiting per instance before uploads get 429 media_queue_full (0: no limit). */
    mediaQueueMaxBytesPerInstance: number;
    /** Failed sign-ins allowed per user_id + client address within the window (0: no limit). */
    authMaxFailures: number;
    authFailureWindowS: number;
    /** A locked-out sign-in is answered after this delay, ms (0: at once). */
    authLockoutDelayMs: number;
  };
  /** What one client may hold of the HTTP server (see src/http/connection-limits.ts). */
  http: {
    /** A connection silent this long (before its first request, between requests, mid-request) is closed. */
    idleTimeoutMs: number;
    /** The whole request (headers and body) must arrive within this. */
    requestTimeoutMs: number;
    /** Past a few seconds, a body arriving slower than this on average is cut off (408). */
    minBodyBytesPerSecond: number;
    maxConnections: number;
    /** Open connections per client address (trusted proxies are not limited). */
    maxConnectionsPerAddress: number;
    /** Media bodies over 4 MiB in flight at once, in all and per instance (429 too_many_uploads past them). */
    maxLargeUploads: number;
    maxLargeUploadsPerInstance: number;
  };
  overload: {
    /** Mean event-loop delay that sheds sends, ms (0: not checked). */
    maxEventLoopDelayMs: number;
    /** An accept commit this slow sheds sends for a few seconds, ms (0: not checked). */
    maxCommitMs: number;
    /** Sends waiting for their commit beyond this shed new ones. */
    maxPendingAccepts: number;
    sampleMs: number;
    retryAfterS: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MB = 1024 * 1024;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${v}"`);
      return fallback;
    }
    return Number(v);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    this.problems.push(`${name}: expected true or false, got "${v}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const hit = allowed.find((a) => a === v.toLowerCase());
    if (hit === undefined) {
      this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${v}"`);
      return fallback;
    }
    return hit;
  }
}

function parseDatabaseUrl(r: Reader, cwd: string): DatabaseConfig {
  const name = 'CONNEXA_DATABASE_URL';
  const url = r.string(name, 'sqlite:./data/connexa.db');
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') r.problems.push(`${name}: a sqlite URL needs a file path, e.g. sqlite:./data/connexa.db`);
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const poolMax = r.int('CONNEXA_DATABASE_POOL_MAX', 10, 2, 200);
    return {
      dialect: 'postgres',
      url,
      poolMax,
      acceptCommits: r.int('CONNEXA_DATABASE_ACCEPT_COMMITS', 1, 1, Math.max(1, poolMax - 1)),
    };
  } else {
    r.problems.push(`${name}: expected sqlite:<path> or postgres://…, got a value starting "${url.slice(0, 12)}"`);
  }
  return { dialect: 'sqlite', file: path.resolve(cwd, 'data/connexa.db') };
}

function parseTrustedProxies(r: Reader): string[] {
  const raw = r.raw('CONNEXA_TRUSTED_PROXIES');
  if (raw === undefined || raw.trim() === '') return [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const e of entries) {
    const valid = e.includes('/') ? ipaddr.isValidCIDR(e) : ipaddr.isValid(e);
    if (!valid) r.problems.push(`CONNEXA_TRUSTED_PROXIES: "${e.slice(0, 60)}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 127.0.0.1)`);
  }
  return entries;
}

function parseWhatsAppVersion(r: Reader): [number, number, number] | 'latest' | 'bundled' {
  const raw = r.raw('CONNEXA_WHATSAPP_VERSION')?.trim() ?? 'latest';
  if (raw === 'latest' || raw === 'bundled') return raw;
  const m = /^(\d{1,6})\.(\d{1,6})\.(\d{1,12})$/.exec(raw);
  if (m === null) {
    r.problems.push('CONNEXA_WHATSAPP_VERSION: expected `latest`, `bundled` or the WhatsApp Web version as three numbers, e.g. 2.3000.1027934701');
    return 'latest';
  }
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function parseNodeUrl(r: Reader): string | undefined {
  const raw = r.raw('CONNEXA_NODE_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    r.problems.push('CONNEXA_NODE_URL: expected the http(s) address other nodes reach this one at, without credentials, e.g. http://10.0.0.5:8080');
    return undefined;
  }
  return url.origin;
}

export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const r = new Reader(env);
  const database = parseDatabaseUrl(r, cwd);
  const adminToken = r.raw('CONNEXA_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 24) {
    r.problems.push('CONNEXA_ADMIN_TOKEN: must be at least 24 characters (use a long random value)');
  }
  const rawSecret = r.raw('CONNEXA_SECRET_KEY');
  const secretKey = rawSecret === undefined ? undefined : parseSecretKey(rawSecret);
  if (rawSecret !== undefined && secretKey === undefined) {
    r.problems.push('CONNEXA_SECRET_KEY: expected 32 random bytes as 64 hex digits or as base64 (e.g. `openssl rand -hex 32`)');
  }
  if (database.dialect === 'postgres') {
    // Nodes on one database share these; a file generated on one machine would differ on the next.
    if (adminToken === undefined) r.problems.push('CONNEXA_ADMIN_TOKEN: required when CONNEXA_DATABASE_URL is PostgreSQL (every node must use the same one)');
    if (rawSecret === undefined)
      r.problems.push('CONNEXA_SECRET_KEY: required when CONNEXA_DATABASE_URL is PostgreSQL (every node must use the same one; e.g. `openssl rand -hex 32`)');
  }
  const config: Config = {
    port: r.int('CONNEXA_PORT', 8080, 0, 65535),
    host: r.string('CONNEXA_HOST', '0.0.0.0'),
    trustedProxies: parseTrustedProxies(r),
    database,
    dataDir: database.dialect === 'postgres' || database.file === ':memory:' ? path.resolve(cwd, 'data') : path.dirname(database.file),
    adminToken,
    metricsToken: r.raw('CONNEXA_METRICS_TOKEN'),
    secretKey,
    nodeId: r.string('CONNEXA_NODE_ID', database.dialect === 'postgres' ? os.hostname() : 'node-1'),
    cluster: {
      nodeUrl: parseNodeUrl(r),
      leaseMs: r.int('CONNEXA_CLUSTER_LEASE_MS', 15_000, 300, 600_000),
      handOverStep: r.int('CONNEXA_CLUSTER_HANDOVER_STEP', 10, 1, 100_000),
    },
    mediaMaxBytes: r.int('CONNEXA_MEDIA_MAX_BYTES', 100 * MB, 1024, 2 * 1024 * MB),
    mediaAllowPrivateNetworks: r.bool('CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS', false),
    mediaFetchTimeoutMs: r.int('CONNEXA_MEDIA_FETCH_TIMEOUT_MS', 30_000, 100, 600_000),
    mediaMaxConcurrentDownloads: r.int('CONNEXA_MEDIA_MAX_CONCURRENT_DOWNLOADS', 8, 1, 1_000),
    logLevel: r.oneOf('CONNEXA_LOG_LEVEL', LOG_LEVELS, 'info'),
    webhooks: {
      allowPrivateNetworks: r.bool('CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
      timeoutMs: r.int('CONNEXA_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      retryScale: r.int('CONNEXA_WEBHOOK_RETRY_SCALE_PERMILLE', 1000, 1, 1000) / 1000,
      pollMs: r.int('CONNEXA_WEBHOOK_POLL_MS', 250, 10, 60_000),
      maxConcurrent: r.int('CONNEXA_WEBHOOK_MAX_CONCURRENT', 512, 1, 10_000),
    },
    events: {
      keptMs: r.int('CONNEXA_EVENTS_KEPT_HOURS', 72, 1, 24 * 30) * 60 * 60_000,
      pollMs: r.int('CONNEXA_EVENTS_POLL_MS', 200, 10, 60_000),
      maxStreams: r.int('CONNEXA_EVENTS_MAX_STREAMS', 1_000, 1, 1_000_000),
      maxStreamsPerInstance: r.int('CONNEXA_EVENTS_MAX_STREAMS_PER_INSTANCE', 10, 1, 10_000),
      recheckMs: r.int('CONNEXA_EVENTS_RECHECK_MS', 5_000, 50, 600_000),
    },
    whatsapp: {
      webSocketUrl: r.raw('CONNEXA_WHATSAPP_WS_URL'),
      startStaggerMs: r.int('CONNEXA_WHATSAPP_START_STAGGER_MS', 500, 0, 60_000),
      version: parseWhatsAppVersion(r),
    },
    demoOnFirstStart: r.bool('CONNEXA_DEMO', true),
    dispatch: {
      enabled: r.bool('CONNEXA_DISPATCH', true),
      retryBaseMs: r.int('CONNEXA_DISPATCH_RETRY_BASE_MS', 2_000, 1, 3_600_000),
      retryMaxDelayMs: r.int('CONNEXA_DISPATCH_RETRY_MAX_MS', 300_000, 1, 86_400_000),
      maxAttempts: r.int('CONNEXA_DISPATCH_MAX_ATTEMPTS', 8, 1, 100),
      pollIntervalMs: r.int('CONNEXA_DISPATCH_POLL_MS', 1_000, 10, 60_000),
      batchSize: r.int('CONNEXA_DISPATCH_BATCH', 64, 1, 5_000),
      queueTtlMs: r.int('CONNEXA_QUEUE_TTL_S', 86_400, 1, 30 * 86_400) * 1000,
    },
    sandbox: {
      deliverAfterMs: r.int('CONNEXA_SANDBOX_DELIVER_MS', 1_000, 0, 3_600_000),
      readAfterMs: r.int('CONNEXA_SANDBOX_READ_MS', 2_000, 0, 3_600_000),
    },
    shutdownGraceMs: r.int('CONNEXA_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    limits: {
      idempotencyTtlMs: r.int('CONNEXA_IDEMPOTENCY_TTL_HOURS', 24, 24, 24 * 30) * 60 * 60_000,
      sendRatePerInstance: r.int('CONNEXA_SEND_RATE_PER_INSTANCE', 100, 0, 100_000_000),
      queueMaxPerInstance: r.int('CONNEXA_QUEUE_MAX_PER_INSTANCE', 10_000, 0, 1_000_000_000),
      mediaQueueMaxBytesPerInstance: r.int('CONNEXA_MEDIA_QUEUE_MAX_MB_PER_INSTANCE', 1024, 0, 1_000_000) * 1024 * 1024,
      authMaxFailures: r.int('CONNEXA_AUTH_MAX_FAILURES', 10, 0, 1_000_000),
      authFailureWindowS: r.int('CONNEXA_AUTH_FAILURE_WINDOW_S', 900, 1, 86_400),
      authLockoutDelayMs: r.int('CONNEXA_AUTH_LOCKOUT_DELAY_MS', 500, 0, 10_000),
    },
    http: {
      idleTimeoutMs: r.int('CONNEXA_HTTP_IDLE_TIMEOUT_S', 30, 1, 3_600) * 1000,
      requestTimeoutMs: r.int('CONNEXA_HTTP_REQUEST_TIMEOUT_S', 300, 1, 3_600) * 1000,
      minBodyBytesPerSecond: r.int('CONNEXA_HTTP_MIN_BODY_BYTES_PER_S', 1024, 0, 1_000_000_000),
      maxConnections: r.int('CONNEXA_HTTP_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
      maxConnectionsPerAddress: r.int('CONNEXA_HTTP_MAX_CONNECTIONS_PER_ADDRESS', 256, 1, 1_000_000),
      maxLargeUploads: r.int('CONNEXA_UPLOADS_MAX', 4, 1, 10_000),
      maxLargeUploadsPerInstance: r.int('CONNEXA_UPLOADS_MAX_PER_INSTANCE', 2, 1, 10_000),
    },
    overload: {
      maxEventLoopDelayMs: r.int('CONNEXA_OVERLOAD_EVENT_LOOP_DELAY_MS', 500, 0, 60_000),
      maxCommitMs: r.int('CONNEXA_OVERLOAD_COMMIT_MS', 1_000, 0, 60_000),
      maxPendingAccepts: r.int('CONNEXA_OVERLOAD_PENDING_ACCEPTS', 20_000, 1, 10_000_000),
      sampleMs: r.int('CONNEXA_OVERLOAD_SAMPLE_MS', 1_000, 10, 60_000),
      retryAfterS: 5,
    },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  if (database.dialect === 'postgres') database.idleTransactionMs = Math.max(5_000, config.cluster.leaseMs);
  return config;
}
