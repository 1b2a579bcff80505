#!/usr/bin/env node
/**
 * The `connexa` command: `serve`, `user create`, `instance create`. Commands
 * other than `serve` open the database of CONNEXA_DATABASE_URL directly.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AdminService } from '../admin/service.js';
import { AVAILABLE_ENGINES } from '../engines/available.js';
import { ConfigError, loadConfig } from '../config.js';
import { ApiError } from '../domain/errors.js';
import { serve } from '../main.js';
import { readAdminToken, resolveSecretKey } from '../bootstrap.js';
import { Sealer } from '../crypto/sealer.js';
import { ReceiptStatements } from '../store/receipts.js';
import { WhatsAppStatements } from '../store/whatsapp.js';
import { buildCloud } from '../wiring/cloud.js';
import { followQr } from './qr.js';
import { openStore } from '../store/database.js';
import { migrate } from '../store/migrate.js';

const USAGE = `Usage:
  connexa serve
  connexa user create --name NAME [--json]
  connexa instance create --user USER_ID --engine sandbox|baileys|cloud [--name NAME] [--config JSON|@FILE] [--json]
  connexa instance qr INSTANCE_ID [--url http://127.0.0.1:8080]

The database is the one of CONNEXA_DATABASE_URL (default sqlite:./data/connexa.db).
--config: the instance's settings, e.g. for cloud {"phone_number_id", "access_token", "app_secret", "verify_token"};
@FILE reads them from a file (keeps the token out of the shell history).
\`instance qr\` asks the running gateway (admin token from CONNEXA_ADMIN_TOKEN or the data dir).`;

type Out = (text: string) => void;

async function withAdmin<T>(fn: (admin: AdminService) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const store = openStore(config.database);
  try {
    const migrated = await migrate(store);
    if (!migrated.ok) throw new Error(`Database migration failed: ${migrated.reason}`);
    const sealer = new Sealer(resolveSecretKey(config.secretKey, config.dataDir).key);
    const receipts = new ReceiptStatements(store);
    const cloud = buildCloud(store, sealer, { record: (r) => receipts.apply(r) }, new WhatsAppStatements(store));
    return await fn(new AdminService(store.db, AVAILABLE_ENGINES, Date.now, () => {}, cloud.accounts));
  } finally {
    await store.close();
  }
}

export async function runCli(argv: string[], out: Out, err: Out): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'serve') {
    await serve();
    return -1; // keeps running
  }
  if (command === 'user' && sub === 'create') {
    const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, json: { type: 'boolean' } } });
    const user = await withAdmin((a) => a.createUser(values.name));
    out(values.json === true ? JSON.stringify(user) : `user_id: ${user.user_id}`);
    return 0;
  }
  if (command === 'instance' && sub === 'create') {
    const { values } = parseArgs({
      args: rest,
      options: { user: { type: 'string' }, engine: { type: 'string' }, name: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (values.user === undefined) {
      err('--user USER_ID is required');
      return 2;
    }
    const userId = values.user;
    let config: unknown;
    if (values.config !== undefined) {
      const text = values.config.startsWith('@') ? readFileSync(values.config.slice(1), 'utf8') : values.config;
      try {
        config = JSON.parse(text);
      } catch {
        err('--config must be JSON (or @FILE holding JSON)');
        return 2;
      }
    }
    const created = await withAdmin((a) => a.createInstance(userId, values.name ?? `${values.engine ?? 'instance'}-1`, values.engine, config));
    if (values.json === true) out(JSON.stringify(created));
    else {
      out(`user_id:        ${created.user_id}\ninstance_id:    ${created.instance_id}\ninstance_token: ${created.instance_token}`);
      out('The token is shown only once; store it now.');
    }
    return 0;
  }
  if (command === 'instance' && sub === 'qr') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { url: { type: 'string' } } });
    const instanceId = positionals[0];
    if (instanceId === undefined) {
      err('connexa instance qr INSTANCE_ID: the instance id is required');
      return 2;
    }
    const config = loadConfig(process.env);
    const token = config.adminToken ?? readAdminToken(config.dataDir);
    if (token === undefined) {
      err('No admin token: set CONNEXA_ADMIN_TOKEN (or run from the directory whose data/ holds admin-token)');
      return 2;
    }
    return followQr({ baseUrl: values.url ?? `http://127.0.0.1:${config.port}`, adminToken: token, instanceId, out });
  }
  err(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

runCli(
  process.argv.slice(2),
  (t) => process.stdout.write(`${t}\n`),
  (t) => process.stderr.write(`${t}\n`),
).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
    else if (e instanceof ApiError) process.stderr.write(`error: ${e.code}: ${e.message}\n`);
    else process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
