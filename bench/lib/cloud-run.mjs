// One run of bench/cloud.mjs: a fresh built gateway (dist/main.js, temp SQLite) and a
// fresh fake Graph API, one `cloud` instance pointing at the fake (its `throughput`
// setting given or left at the default), the fake's status webhooks subscribed to the
// instance's webhook URL; then N messages accepted, sent and read back, and the figures.
import fs from 'node:fs';
import path from 'node:path';
import { DIST_MAIN } from './constants.mjs';
import { busySeconds, maxPerSecond, startFakeProcess } from './cloud-fake.mjs';
import { acceptAll, settle, tally } from './cloud-load.mjs';
import { gatewayEnv } from './gateway.mjs';
import { api, basicAuth } from './pressure.mjs';
import { freePort, startServer, stop, tail, waitReady } from './processes.mjs';

const VERIFY_TOKEN = 'bench-verify-token';

async function startGateway(dir, extraEnv) {
  fs.mkdirSync(dir, { recursive: true });
  // The bench client and the fake's webhooks (Meta, in production from its own
  // addresses) both come from 127.0.0.1 here: the per-address connection cap is set
  // above what they hold together (a burst of statuses alone can take 250).
  const env = { ...gatewayEnv(dir, await freePort()), CONNEXA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '100000', ...extraEnv };
  const base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
  const log = path.join(dir, 'gateway.log');
  const child = startServer('gateway', [DIST_MAIN], env, log);
  await waitReady('gateway', child, `${base}/readyz`, log);
  return { env, base, child, log };
}

/** A user with one `cloud` instance on the fake; returns {instanceId, auth}. */
async function cloudTenant(base, adminToken, fake, throughput) {
  const admin = `Bearer ${adminToken}`;
  const user = await api(base, 'POST', '/api/v1/admin/users', { auth: admin, body: { name: 'cloud-bench' } });
  if (user.status !== 201) throw new Error(`POST /api/v1/admin/users answered HTTP ${user.status}: ${user.text.slice(0, 300)}`);
  const config = {
    phone_number_id: fake.phoneNumberId,
    access_token: fake.accessToken,
    app_secret: fake.appSecret,
    verify_token: VERIFY_TOKEN,
    graph_url: fake.url,
    graph_version: 'v25.0',
    ...(throughput === undefined ? {} : { throughput }),
  };
  const body = { name: 'cloud-bench', engine: 'cloud', config };
  const inst = await api(base, 'POST', `/api/v1/admin/users/${user.json.user_id}/instances`, { auth: admin, body });
  if (inst.status !== 201) throw new Error(`creating the cloud instance answered HTTP ${inst.status}: ${inst.text.slice(0, 300)}`);
  return { instanceId: inst.json.instance_id, auth: basicAuth(user.json.user_id, inst.json.instance_token) };
}

/**
 * The gateway's warnings and errors (log level ≥ 40, or a Node warning on stderr), distinct
 * messages with their counts; the first start's notice about the new secret key is expected.
 */
function logWarnings(log) {
  let lines = [];
  try {
    lines = fs.readFileSync(log, 'utf8').split('\n');
  } catch {
    /* no log */
  }
  const found = new Map();
  for (const line of lines) {
    let msg;
    if (/Warning:/.test(line)) msg = line.replace(/^\(node:\d+\) /, '');
    else if (Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0) >= 40) msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line;
    if (msg === undefined || msg.startsWith('generated the key')) continue;
    msg = msg.slice(0, 200);
    found.set(msg, (found.get(msg) ?? 0) + 1);
  }
  return [...found].map(([msg, count]) => ({ msg, count }));
}

/** What the fake saw: acceptances, refusals by code, duplicates, indices never sent, peaks per calendar second. */
async function fakeFigures(fake, sent, t0) {
  const f = await fake.call('figures');
  const counts = new Map(f.counts);
  const first = f.acceptedAt[0];
  const last = f.acceptedAt[f.acceptedAt.length - 1];
  const spanS = first === undefined ? 0 : (last - first) / 1000;
  return {
    fakeAccepted: f.messages,
    firstFakeAt: first,
    lastFakeAt: last,
    rate: spanS > 0 ? f.messages / spanS : 0,
    r130429: f.refusals[130429],
    r131056: f.refusals[131056],
    sendRequests: f.sendRequests,
    non200Sends: f.non200Sends,
    duplicates: [...counts.values()].reduce((a, c) => a + Math.max(0, c - 1), 0),
    neverAtFake: sent.filter((s) => !counts.has(s.i)).length,
    maxAcceptedPerSecond: maxPerSecond(f.acceptedAt),
    maxAttemptsPerSecond: maxPerSecond(f.attemptsAt),
    busy: busySeconds(f.acceptedAt, f.attemptsAt, t0, f.perSecond),
  };
}

/**
 * Runs one configuration. `opts`: {label, dir, fakeServerUrl (compiled), throughput (undefined:
 * the default), messages, recipients, concurrency, deadlineMs, extraEnv}.
 */
export async function cloudRun(opts) {
  const gw = await startGateway(opts.dir, opts.extraEnv);
  const fake = await startFakeProcess(opts.fakeServerUrl);
  try {
    const { instanceId, auth } = await cloudTenant(gw.base, gw.env.CONNEXA_ADMIN_TOKEN, fake, opts.throughput);
    await fake.call('subscribe', { url: `${gw.base}/api/v1/cloud/${instanceId}/webhook`, verifyToken: VERIFY_TOKEN });
    console.log(`cloud ${opts.label}: accepting ${opts.messages.toLocaleString('en-US')} messages to ${opts.recipients} recipients…`);
    const acc = await acceptAll(gw.base, auth, opts);
    if (acc.refused.length > 0) {
      console.warn(`cloud ${opts.label}: ${acc.refused.length} sends not accepted, e.g. HTTP ${acc.refused[0].status}: ${acc.refused[0].text}`);
      console.warn(`gateway log:\n${tail(gw.log)}`);
    }
    console.log(`cloud ${opts.label}: ${acc.sent.length} accepted in ${((acc.doneAt - acc.startedAt) / 1000).toFixed(1)} s; waiting for them to be sent…`);
    const settled = await settle(gw.base, auth, fake, acc.sent, { deadlineMs: opts.deadlineMs });
    const figures = await fakeFigures(fake, acc.sent, acc.acceptedAt);
    const t = tally(acc.sent, settled.states);
    if (gw.child.exitCode !== null) console.warn(`cloud ${opts.label}: the gateway exited:\n${tail(gw.log)}`);
    const warnings = logWarnings(gw.log);
    for (const w of warnings) console.warn(`cloud ${opts.label}: the gateway logged ${w.count} × ${w.msg}`);
    return {
      label: opts.label,
      throughput: opts.throughput,
      messages: opts.messages,
      accepted: acc.sent.length,
      refusedAtAccept: acc.refused.length,
      acceptRetries: acc.retried,
      warnings,
      acceptS: (acc.doneAt - acc.startedAt) / 1000,
      elapsedS: figures.lastFakeAt === undefined ? NaN : (figures.lastFakeAt - acc.acceptedAt) / 1000,
      allSentS: settled.allSentAt === undefined ? undefined : (settled.allSentAt - acc.acceptedAt) / 1000,
      allRead: settled.allRead,
      ...figures,
      ...t,
    };
  } finally {
    await fake.close().catch(() => {});
    await stop(gw.child);
  }
}
