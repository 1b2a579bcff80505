/**
 * The built gateway (dist/main.js) in a process of its own, as `npm start`
 * runs it. For tests whose verdict depends on timing or on the process: a
 * synchronous SQLite wait in the gateway then blocks only the gateway, never
 * the test's client, and a SIGKILL kills only the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_TOKEN, apiClient, createTenant, tempDir, waitFor, type ApiClient, type Tenant } from './gateway.js';
import { testDatabase, type TestDatabase } from './test-db.js';

export const MAIN = path.resolve('dist/main.js');

export interface ChildGateway extends ApiClient {
  /** `http://127.0.0.1:port` */
  base: string;
  /** The folder holding the database (`connexa.db`). */
  dir: string;
  dbFile: string;
  /** The database it runs on. */
  database: TestDatabase;
  /** Starts the server (again) on the same port and database; resolves once /readyz answers 200. */
  start(): Promise<void>;
  /** Kills the server with SIGKILL (no-op when it is not running). */
  kill(): Promise<void>;
  /** Stops the server with SIGTERM (a graceful stop) and waits for it to exit. */
  stop(): Promise<void>;
  /** Sends a signal (SIGSTOP, SIGCONT) to the running server. */
  signal(name: NodeJS.Signals): void;
  /** Creates a user with an instance over the admin API. */
  tenant(engine?: string): Promise<Tenant>;
  /** Kills the server and removes its folder. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Prepares a gateway on a free port and a fresh database; `env` adds to (or overrides) the test defaults. */
/** `shared`: a database other gateways run on too (several nodes of one cluster); it is not dropped by `dispose`. */
export async function childGateway(env: Record<string, string> = {}, prefix = 'connexa-child-', shared?: TestDatabase): Promise<ChildGateway> {
  if (!fs.existsSync(MAIN)) throw new Error('dist/main.js is missing: `npm test` builds it before vitest runs');
  const dir = tempDir(prefix);
  const dbFile = path.join(dir, 'connexa.db');
  const database = shared ?? (await testDatabase(dir, 'connexa.db'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const kill = (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };

  return {
    ...apiClient(base),
    base,
    dir,
    dbFile,
    database,
    async start() {
      child = spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env['PATH'] ?? '',
          CONNEXA_PORT: String(port),
          CONNEXA_HOST: '127.0.0.1',
          ...database.env,
          CONNEXA_ADMIN_TOKEN: ADMIN_TOKEN,
          CONNEXA_DEMO: 'false',
          CONNEXA_LOG_LEVEL: 'warn',
          CONNEXA_WHATSAPP_VERSION: 'bundled',
          CONNEXA_NODE_URL: base,
          ...env,
        },
        // On PostgreSQL, the node's data folder (media files) is ./data of its working folder.
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const started = child;
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error(`the gateway exited with code ${started.exitCode} while starting`);
          try {
            return (await fetch(`${base}/readyz`)).status === 200 ? true : undefined;
          } catch {
            return undefined;
          }
        },
        15_000,
        'server to be ready',
      );
    },
    kill,
    async stop() {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
    signal(name) {
      child?.kill(name);
    },
    tenant: (engine = 'sandbox') => createTenant(base, engine),
    async dispose() {
      await kill();
      if (shared === undefined) await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
