// The gateway under test: its environment, bench credentials (user + sandbox instance) and a probe send.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import { DIST_CLI, DIST_MAIN, ROOT, SEND_PATH, TEXT } from './constants.mjs';
import { freePort, makeTmpRoot, run, startServer, waitReady } from './processes.mjs';

/** The environment of the gateway and the CLI: only our CONNEXA_* settings. */
export function gatewayEnv(dataDir, port) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CONNEXA_')));
  return {
    ...env,
    CONNEXA_HOST: '127.0.0.1',
    CONNEXA_PORT: String(port),
    CONNEXA_DATABASE_URL: `sqlite:${path.join(dataDir, 'connexa.db')}`,
    CONNEXA_LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'warn',
    CONNEXA_WHATSAPP_VERSION: 'bundled',
    CONNEXA_DEMO: 'false',
    CONNEXA_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    CONNEXA_SHUTDOWN_GRACE_MS: '5000',
    // Load runs measure throughput, not the abuse limits: the limits stay in
    // the path (every check still runs) but set far above what a run sends.
    CONNEXA_SEND_RATE_PER_INSTANCE: '1000000',
    CONNEXA_QUEUE_MAX_PER_INSTANCE: '100000000',
  };
}

function parseJsonLine(text) {
  const line = text.trim().split('\n').pop();
  try {
    return line ? JSON.parse(line) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether credentials had to be created via dist/admin/service.js (a live binding). */
export let warnedCliFallback = false;

/** Creates a user and a sandbox instance with the CLI; returns {user_id, instance_token}. */
export async function createCredentials(env) {
  const cli = async (...args) => {
    const r = await run(process.execPath, [DIST_CLI, ...args, '--json'], { env });
    const json = r.code === 0 ? parseJsonLine(r.stdout) : undefined;
    return { json, r };
  };
  const user = await cli('user', 'create', '--name', 'Bench');
  if (user.json?.user_id !== undefined) {
    const inst = await cli('instance', 'create', '--user', user.json.user_id, '--engine', 'sandbox', '--name', 'bench-1');
    if (inst.json?.instance_token !== undefined) return inst.json;
    if (inst.r.code !== 0) throw new Error(`connexa instance create failed (exit ${inst.r.code}): ${inst.r.stderr.trim()}`);
  } else if (user.r.code !== 0) {
    throw new Error(`connexa user create failed (exit ${user.r.code}): ${user.r.stderr.trim()}`);
  }
  // The CLI exited 0 without printing its JSON. Create the credentials through
  // the same AdminService the CLI uses, so the benchmark still runs.
  if (!warnedCliFallback) {
    warnedCliFallback = true;
    console.warn(
      'warning: `connexa user/instance create --json` exited 0 but printed nothing;' + ' creating the user and instance via dist/admin/service.js instead',
    );
  }
  const url = (p) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', p)).href);
  const script = `
    const { loadConfig } = await import(${url('config.js')});
    const { openStore } = await import(${url('store/database.js')});
    const { migrate } = await import(${url('store/migrate.js')});
    const { AdminService } = await import(${url('admin/service.js')});
    const store = openStore(loadConfig(process.env).database);
    const m = await migrate(store.db);
    if (!m.ok) throw new Error('migration failed: ' + m.reason);
    const admin = new AdminService(store.db);
    const user = await admin.createUser('Bench');
    const inst = await admin.createInstance(user.user_id, 'bench-1', 'sandbox');
    store.sqlite.close();
    process.stdout.write(JSON.stringify(inst) + '\\n');
    process.exit(0);`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  const json = r.code === 0 ? parseJsonLine(r.stdout) : undefined;
  if (json?.instance_token === undefined) throw new Error(`could not create bench credentials (exit ${r.code}): ${r.stderr.trim()}`);
  return json;
}

/** One real send before wrk: fails fast on auth/validation problems. */
export async function probe(kind, base, auth) {
  const res = await fetch(`${base}${SEND_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ phone: '554490000000', data: { text: TEXT } }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = await res.text();
  let id;
  try {
    id = JSON.parse(body).message_id;
  } catch {
    /* reported below */
  }
  if (res.status !== 200 || typeof id !== 'string') {
    throw new Error(`${kind}: probe send answered HTTP ${res.status}: ${body.slice(0, 300)}`);
  }
}

/**
 * Starts the built gateway (dist/main.js) on a free port with a fresh data dir
 * in the run's temp dir, and waits for /readyz. Returns {env, base, child, log, tmp}.
 */
export async function startBuiltGateway() {
  if (!fs.existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const tmp = makeTmpRoot();
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(dataDir);
  const env = gatewayEnv(dataDir, await freePort());
  const base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
  const log = path.join(tmp, 'gateway.log');
  const child = startServer('gateway', [DIST_MAIN], env, log);
  await waitReady('gateway', child, `${base}/readyz`, log);
  return { env, base, child, log, tmp };
}
