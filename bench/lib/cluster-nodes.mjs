// The gateway nodes of one cluster benchmark configuration: each node started
// with its own port and data dir (the same admin token and secret key on every
// node, node id and URL on PostgreSQL), the wait until every node is ready and
// node 1's cluster view shows all of them holding the leases, checks that they
// still run, and their stop with what they logged.
import path from 'node:path';
import fs from 'node:fs';
import { CLUSTER_WAIT_MS } from './cluster-config.mjs';
import { sum } from './cluster-format.mjs';
import { DIST_MAIN } from './constants.mjs';
import { gatewayEnv } from './gateway.mjs';
import { logSummary } from './node-logs.mjs';
import { freePort, sleep, startServer, stop, tail, waitReady } from './processes.mjs';

/** Starts node `i` of configuration `label` in `dir`, on `database` when given (else SQLite); returns {id, base, log, child}. */
export async function startNode(label, dir, i, { adminToken, secretKey, database }) {
  const dataDir = path.join(dir, `n${i}`);
  fs.mkdirSync(dataDir);
  const port = await freePort();
  const env = {
    ...gatewayEnv(dataDir, port),
    CONNEXA_ADMIN_TOKEN: adminToken,
    CONNEXA_SECRET_KEY: secretKey,
    CONNEXA_SANDBOX_DELIVER_MS: '1000',
    CONNEXA_SANDBOX_READ_MS: '2000',
    ...(database !== undefined ? { CONNEXA_DATABASE_URL: database.url, CONNEXA_NODE_ID: `n${i}`, CONNEXA_NODE_URL: `http://127.0.0.1:${port}` } : {}),
  };
  const id = database !== undefined ? `n${i}` : 'node-1';
  const log = path.join(dir, `n${i}.log`);
  return { id, base: `http://127.0.0.1:${port}`, log, child: startServer(`${label} node ${id}`, [DIST_MAIN], env, log) };
}

/** Waits until every node answers /readyz. */
export function waitNodesReady(label, nodes) {
  return Promise.all(nodes.map((n) => waitReady(`${label} node ${n.id}`, n.child, `${n.base}/readyz`, n.log, 30_000)));
}

async function clusterView(base, adminToken) {
  const res = await fetch(`${base}/api/v1/admin/cluster`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(2_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/v1/admin/cluster answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Waits until node 1's cluster view lists `count` alive nodes (those of `ids`
 * when given) holding all `instances` leases between them, each within one of
 * an even share. Returns the instances per node and how long it took; after
 * `limitMs` it settles for every lease held (with a warning) or throws.
 */
export async function waitCluster(base, adminToken, ids, count, instances, limitMs = CLUSTER_WAIT_MS) {
  const started = Date.now();
  const share = instances / count;
  let last = 'no answer';
  let held;
  while (Date.now() - started < limitMs) {
    try {
      const view = await clusterView(base, adminToken);
      const alive = view.nodes.filter((n) => n.alive && (ids === undefined || ids.includes(n.node_id)));
      const spread = Object.fromEntries(alive.map((n) => [n.node_id, n.instances]));
      const total = sum(view.nodes.map((n) => n.instances));
      last = `${alive.length}/${count} nodes alive, ${total}/${instances} leases held (${JSON.stringify(spread)})`;
      if (alive.length === count && total === instances) {
        held = spread;
        if (alive.every((n) => Math.abs(n.instances - share) < 1)) return { spread, seconds: (Date.now() - started) / 1000, balanced: true };
      }
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(250);
  }
  if (held !== undefined) return { spread: held, seconds: (Date.now() - started) / 1000, balanced: false };
  throw new Error(`cluster not formed after ${limitMs / 1000} s: ${last}`);
}

const exited = (n) => n.child.exitCode !== null || n.child.signalCode !== null;

/** Throws when a node exited during the measured run, with its log's tail. */
export function assertRunning(nodes) {
  for (const n of nodes) {
    if (exited(n)) {
      throw new Error(`node ${n.id} exited during the run (${n.child.exitCode ?? n.child.signalCode}):\n${tail(n.log)}`);
    }
  }
}

/** Adds to a failed configuration's error which nodes had exited, with their logs' tails. */
export async function noteExits(err, nodes) {
  await sleep(200);
  for (const n of nodes) {
    if (exited(n)) {
      err.message += `\n(node ${n.id} had exited: ${n.child.exitCode ?? n.child.signalCode}; log tail:)\n${tail(n.log)}`;
    }
  }
}

/** Stops every node (SIGTERM, then SIGKILL after the grace time). */
export async function stopNodes(nodes) {
  await Promise.all(nodes.map((n) => stop(n.child)));
}

/** What the nodes logged (warn and above) per node, and how many of it were errors; read after they stopped. */
export function nodeLogs(nodes) {
  const logs = nodes.map((n) => ({ id: n.id, entries: logSummary(n.log) })).filter((l) => l.entries.length > 0);
  const logErrors = sum(logs.flatMap((l) => l.entries.filter((e) => e.level >= 50).map((e) => e.count)));
  return { logs, logErrors };
}
