/**
 * Starts a real gateway (real Fastify server on 127.0.0.1, real SQLite file in
 * a fresh temp dir) for one test file, plus helpers to create tenants and call
 * the API over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import type { SocketFactory } from '../../src/engines/baileys/socket-port.js';
import type { InboundMediaDownloader } from '../../src/engines/baileys/inbound-media.js';
import { testDatabase } from './test-db.js';
import { openStore, type SqlValue, type Store } from '../../src/store/database.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface Tenant {
  userId: string;
  instanceId: string;
  token: string;
  auth: string;
}

export interface ErrorDetail {
  field: string;
  code: string;
  message: string;
}

export interface InboxEntry {
  id: number;
  message_id: string;
  provider_message_id: string;
  part: number;
  phone: string;
  type: string;
  text: string | null;
  /** Sandbox inbox entries have a sha256; received WhatsApp media a download_url. */
  media: { mime: string; size: number; sha256?: string; filename: string | null; download_url?: string } | null;
  delivered_at: string | null;
  read_at: string | null;
  resends: number;
}

/** The JSON bodies the API returns, loosely: each test reads the fields it expects. */
export interface ApiBody {
  message_id?: string;
  status?: string;
  phone?: string;
  attempts?: number;
  error?: { code: string; message: string; details?: ErrorDetail[] } | null;
  events?: { status: string; at: string; code: string | null; detail: string | null }[];
  media?: { mime: string | null; size: number | null; sha256: string | null; filename: string | null } | null;
  messages?: InboxEntry[];
  next_cursor?: string | null;
  [key: string]: unknown;
}

/** Calls the API with a tenant's credentials. */
export interface ApiClient {
  send(t: Tenant, type: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: ApiBody; headers: Headers }>;
  get(t: Tenant, urlPath: string): Promise<{ status: number; body: ApiBody }>;
  post(t: Tenant, urlPath: string, body?: unknown): Promise<{ status: number; body: ApiBody }>;
}

export interface TestGateway extends ApiClient {
  gateway: Gateway;
  url: string;
  dir: string;
  /** Where the gateway keeps message files. */
  mediaDir: string;
  /** Reads the gateway's database directly, on a connection of the test's own. */
  query<R>(text: string, params?: readonly SqlValue[]): Promise<R[]>;
  tenant(engine?: string, config?: unknown): Promise<Tenant>;
  stop(): Promise<void>;
}

/** A user with one instance, created over the admin API of the gateway at `url`. */
export async function createTenant(url: string, engine = 'sandbox', config?: unknown): Promise<Tenant> {
  const admin = async (p: string, body: unknown): Promise<Record<string, string>> => {
    const res = await fetch(url + p, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`admin ${p} → ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  const user = await admin('/api/v1/admin/users', { name: 'Test' });
  const userId = String(user['user_id']);
  const inst = await admin(`/api/v1/admin/users/${userId}/instances`, { name: 'main', engine, config });
  const token = String(inst['instance_token']);
  return { userId, instanceId: String(inst['instance_id']), token, auth: basic(userId, token) };
}

export function apiClient(url: string): ApiClient {
  return {
    async send(t, type, body, headers = {}) {
      const res = await fetch(`${url}/api/v1/message/${type}`, {
        method: 'POST',
        headers: { authorization: t.auth, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as ApiBody, headers: res.headers };
    },
    async get(t, urlPath) {
      const res = await fetch(url + urlPath, { headers: { authorization: t.auth, accept: 'application/json' } });
      return { status: res.status, body: (await res.json()) as ApiBody };
    },
    async post(t, urlPath, body) {
      const res = await fetch(url + urlPath, {
        method: 'POST',
        headers: { authorization: t.auth, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      return { status: res.status, body: (await res.json()) as ApiBody };
    },
  };
}

export function tempDir(prefix = 'connexa-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function startTestGateway(
  env: Record<string, string> = {},
  whatsappConnect?: SocketFactory,
  whatsappMedia?: InboundMediaDownloader,
): Promise<TestGateway> {
  const dir = tempDir();
  const database = await testDatabase(dir, 'connexa.db');
  const config = loadConfig(
    {
      CONNEXA_PORT: '0',
      CONNEXA_HOST: '127.0.0.1',
      ...database.env,
      CONNEXA_ADMIN_TOKEN: ADMIN_TOKEN,
      CONNEXA_DEMO: 'false',
      CONNEXA_LOG_LEVEL: 'silent',
      CONNEXA_SANDBOX_DELIVER_MS: '50',
      // Tests never call out to WhatsApp Web for its version.
      CONNEXA_WHATSAPP_VERSION: 'bundled',
      CONNEXA_SANDBOX_READ_MS: '100',
      CONNEXA_DISPATCH_RETRY_BASE_MS: '20',
      CONNEXA_DISPATCH_RETRY_MAX_MS: '200',
      CONNEXA_DISPATCH_POLL_MS: '20',
      ...env,
    },
    dir,
  );
  const gateway = await startGateway(config, {
    logger: createLogger('silent'),
    print: () => {},
    ...(whatsappConnect !== undefined ? { whatsappConnect } : {}),
    ...(whatsappMedia !== undefined ? { whatsappMedia } : {}),
  });
  const url = gateway.url;
  let reader: Store | undefined;

  return {
    gateway,
    url,
    dir,
    mediaDir: database.mediaDir,
    query: <R>(text: string, params?: readonly SqlValue[]) => {
      reader ??= openStore(database.config);
      return reader.sql.all<R>(text, params);
    },
    tenant: (engine = 'sandbox', config?: unknown) => createTenant(url, engine, config),
    ...apiClient(url),
    async stop() {
      await reader?.close();
      await gateway.stop();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined), bounded by `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function waitForStatus(g: ApiClient, t: Tenant, id: string, statuses: string[], timeoutMs = 10_000): Promise<ApiBody> {
  return waitFor(
    async () => {
      const r = await g.get(t, `/api/v1/message/${id}`);
      return statuses.includes(r.body.status ?? '') ? r.body : undefined;
    },
    timeoutMs,
    `message ${id} to reach ${statuses.join('/')}`,
  );
}
