#!/usr/bin/env node
// Cluster benchmark: accepted sends per second (POST /api/v1/message/text) for
// 1, 2 and 3 identical gateway nodes on one PostgreSQL database, with a single
// SQLite node beside them, in one run.
//
// Every configuration starts from scratch: a fresh PostgreSQL database (or a
// temp SQLite file), the built gateway (dist/main.js) per node with its own
// port and data dir, the same CONNEXA_SECRET_KEY and CONNEXA_ADMIN_TOKEN on
// every node, CONNEXA_NODE_ID n1..n3 and CONNEXA_NODE_URL. Dispatch stays on:
// each node also sends, delivers and reads through the sandbox engine the
// messages of the instances it holds the lease of, as in production. 30
// sandbox instances are created through node 1's admin API; the run waits
// (≤ 30 s) until GET /api/v1/admin/cluster shows every node alive and all 30
// leases held. Then one `wrk -t1` per node, all at once, each against its own
// node, the connections split evenly over the nodes, each request with the
// next instance's credentials and the next of 1000 recipients: a 2 s warm-up,
// then the measured run. Req/s are summed over the wrk processes.
//
// While the measured run goes, CPU use (utime + stime from /proc) is sampled
// for the PostgreSQL server (its background processes and the backends of the
// bench database), each node, the wrk processes and the whole machine. No CPU
// pinning: the nodes, PostgreSQL and wrk share every core.
//
//   node bench/cluster.mjs [--duration 8] [--rounds 2] [--connections 64] [--postgres-url URL] [--write]
//
// Configurations run in the order sqlite, pg-1, pg-2, pg-3 in odd rounds and
// reversed in even rounds. --write rewrites the section between
// <!-- cluster:begin --> and <!-- cluster:end --> in docs/BENCHMARKS.md
// (appended at the end when the markers are missing). Needs `wrk` on PATH, a
// built dist/ and a PostgreSQL server whose user may create databases.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseCli } from './lib/cli.mjs';
import { DIST_MAIN, DOC, SEND_PATH, TEXT } from './lib/constants.mjs';
import { cmdline, startCpuSampler } from './lib/cpu-sampler.mjs';
import { gatewayEnv, probe } from './lib/gateway.mjs';
import { cleanup, freePort, makeTmpRoot, setPinning, sleep, startServer, stop, tail, waitReady, which } from './lib/processes.mjs';
import { fmtMs, fmtRps, machine, writeDoc } from './lib/report.mjs';
import { createSandboxInstances } from './lib/tenants.mjs';
import { runWrk } from './lib/wrk.mjs';

const WARMUP_S = 2;
const INSTANCES = 30;
const CLUSTER_WAIT_MS = 30_000;
const BEGIN = '<!-- cluster:begin -->';
const END = '<!-- cluster:end -->';
/** Throughput within ±10% of pg-1 counts as "did not change". */
const SAME = 0.1;
/** The machine counts as CPU-bound when at least this share of its cores was busy. */
const CPU_BOUND = 0.9;
/** ... and mostly CPU-bound from this share on (waits elsewhere add to it). */
const CPU_NEARLY = 0.75;
/** Cores used by processes outside the benchmark worth a caveat in the verdict. */
const OTHER_NOTABLE = 0.25;
const CONFIGS = [
  { label: 'sqlite', nodes: 1, postgres: false },
  { label: 'pg-1', nodes: 1, postgres: true },
  { label: 'pg-2', nodes: 2, postgres: true },
  { label: 'pg-3', nodes: 3, postgres: true },
];

let tmpRoot; // set in main(); removed by cleanup()

// ---------------------------------------------------------------- arguments

const USAGE = `Usage: node bench/cluster.mjs [--duration SECONDS] [--rounds N] [--connections N] [--postgres-url URL] [--write]

  --duration N      seconds per measured wrk run (default 8; plus a ${WARMUP_S} s warm-up)
  --rounds N        rounds over sqlite, pg-1, pg-2, pg-3, the order reversed every
                    other round (default 2)
  --connections N   wrk connections in all, split evenly over the nodes (default 64)
  --postgres-url U  the server whose fresh databases the PostgreSQL runs use
                    (default CONNEXA_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --write           rewrite the cluster section of docs/BENCHMARKS.md`;

// ----------------------------------------------------------------- helpers

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const sum = (xs) => xs.reduce((a, x) => a + x, 0);
const fmtCores = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} x` : '–');
/** Other processes' cores, with the niced part and (on the console) other databases' backends in them. */
const fmtOther = (c, pgOther = false) => {
  const parts = [
    ...(c.niced >= 0.05 ? [`${fmtCores(c.niced)} niced`] : []),
    ...(pgOther && c.postgresOther >= 0.01 ? [`${fmtCores(c.postgresOther)} postgres of other databases`] : []),
  ];
  return `${fmtCores(c.other)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
};
const redact = (url) => url.replace(/\/\/[^@/]*@/, '//…@');

/** Whether a process with this pid runs (on this machine). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Fresh databases on the PostgreSQL server at `url`; fails when it does not answer. */
async function benchPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 60_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`no PostgreSQL at ${redact(url)} (${err.message}); pass --postgres-url`, { cause: err });
  }
  const created = new Set();
  const drop = async (name) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  };
  // Databases left by an earlier run that was interrupted (Ctrl-C exits without dropping them).
  const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'connexa\\_cluster\\_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^connexa_cluster_(\d+)_/.exec(datname)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await drop(datname);
  }
  return {
    /** Creates a fresh database; returns its name and URL. */
    create: async (suffix) => {
      const name = `connexa_cluster_${process.pid}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      await drop(name);
      // CREATE DATABASE copies template1 and fails while another session is connected to it: retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`CREATE DATABASE ${name}`);
          break;
        } catch (err) {
          if (attempt >= 5 || !/being accessed by other users/.test(err.message)) throw err;
          await sleep(500 * attempt);
        }
      }
      created.add(name);
      const u = new URL(url);
      u.pathname = `/${name}`;
      return { name, url: u.toString() };
    },
    drop,
    /** What the bench database's client backends are doing now: one label per backend. */
    activity: async (name) => {
      const { rows } = await client.query(
        `SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [name],
      );
      return rows.map((r) =>
        r.state === 'active' ? (r.wait_event === null ? 'active on CPU' : `${r.wait_event_type}:${r.wait_event}`) : (r.state ?? 'unknown'),
      );
    },
    /** Drops whatever is left and disconnects. */
    close: async () => {
      for (const name of [...created]) await drop(name).catch((err) => console.warn(`warning: could not drop ${name}: ${err.message}`));
      await client.end().catch(() => {});
    },
  };
}

/** The wrk script: POST sends, each with the next instance's credentials and the next of 1000 recipients. */
function writeClusterLua(file, auths) {
  const lua = `-- generated by bench/cluster.mjs
local auths = {
${auths.map((a) => `  "${a}",`).join('\n')}
}
local headers = { ["Content-Type"] = "application/json" }
local i = 0
request = function()
  local phone = string.format("5544%08d", 90000000 + (i % 1000))
  headers["Authorization"] = auths[(i % #auths) + 1]
  i = i + 1
  return wrk.format("POST", "${SEND_PATH}", headers, '{"phone":"' .. phone .. '","data":{"text":"${TEXT}"}}')
end
`;
  fs.writeFileSync(file, lua);
}

const LEVELS = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A node's warnings and errors (pino JSON lines), counted by level, message and error message. */
function logSummary(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let key;
    let level = 50;
    try {
      const entry = JSON.parse(line);
      level = entry.level ?? 30;
      if (level < 40) continue;
      const err = entry.err === undefined ? '' : `: ${entry.err.message ?? entry.err.type}${entry.err.code !== undefined ? ` (${entry.err.code})` : ''}`;
      key = `${LEVELS[level] ?? level} ${entry.component !== undefined ? `[${entry.component}] ` : ''}${entry.msg}${err}`;
    } catch {
      key = `output ${line.slice(0, 200)}`;
    }
    const c = counts.get(key) ?? { key, level, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()];
}

/** `total` connections split as evenly as possible over `n` wrk processes. */
const split = (total, n) => Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));

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
async function waitCluster(base, adminToken, ids, count, instances, limitMs = CLUSTER_WAIT_MS) {
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

/** Which group a process's CPU time counts to during the measured run. */
function classifier(nodes, dbName) {
  const byPid = new Map(nodes.map((n) => [n.child.pid, `node:${n.id}`]));
  return (proc) => {
    const node = byPid.get(proc.pid);
    if (node !== undefined) return node;
    if (proc.comm === 'wrk' && proc.ppid === process.pid) return 'wrk';
    if (proc.comm !== 'postgres') return undefined;
    // Backends are titled "postgres: [cluster: ]USER DATABASE HOST(PORT) ACTIVITY"; other
    // databases' backends (e.g. a test run on the same server) are not this benchmark's load.
    const m = /^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(cmdline(proc.pid));
    return m === null || m[1] === dbName ? 'postgres' : 'postgres-other';
  };
}

/**
 * Samples pg_stat_activity of the bench database every intervalMs until
 * stop(), which returns the mean number of backends per label ("idle",
 * "active on CPU", "Lock:transactionid", "IO:WALSync", ...), most first.
 */
function startActivitySampler(postgres, name, intervalMs = 250) {
  const totals = new Map();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const label of await postgres.activity(name)) totals.set(label, (totals.get(label) ?? 0) + 1);
        samples++;
      } catch {
        /* a missed sample */
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Object.fromEntries([...totals].map(([label, n]) => [label, n / Math.max(1, samples)]).sort((a, b) => b[1] - a[1]));
    },
  };
}

const fmtActivity = (activity) =>
  activity === undefined
    ? '–'
    : Object.entries(activity)
        .filter(([, n]) => n >= 0.05)
        .map(([label, n]) => `${label} ${n.toFixed(1)}`)
        .join(', ');

/** One wrk per node at once; throws the first failure after all of them ended. */
async function loadAll(nodes, lua, seconds, connections) {
  const conns = split(connections, nodes.length);
  const settled = await Promise.allSettled(nodes.map((n, i) => runWrk(`${n.base}${SEND_PATH}`, lua, seconds, conns[i])));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => s.value);
}

// ------------------------------------------------------------ one configuration

async function runConfig(config, round, postgres, opts) {
  const dir = path.join(tmpRoot, `${config.label}-r${round}`);
  fs.mkdirSync(dir);
  const adminToken = randomBytes(24).toString('hex');
  const secretKey = randomBytes(32).toString('hex');
  const database = config.postgres ? await postgres.create(`${config.label}_${round}`) : undefined;
  const nodes = [];
  let result;
  try {
    for (let i = 1; i <= config.nodes; i++) {
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
      nodes.push({ id, base: `http://127.0.0.1:${port}`, log, child: startServer(`${config.label} node ${id}`, [DIST_MAIN], env, log) });
    }
    // Every node up before the instances exist, so that their leases spread as they are created.
    await Promise.all(nodes.map((n) => waitReady(`${config.label} node ${n.id}`, n.child, `${n.base}/readyz`, n.log, 30_000)));
    const auths = await createSandboxInstances(nodes[0].base, adminToken, INSTANCES);
    const cluster = await waitCluster(nodes[0].base, adminToken, database !== undefined ? nodes.map((n) => n.id) : undefined, config.nodes, INSTANCES);
    const spread = Object.entries(cluster.spread)
      .map(([id, k]) => `${id} ${k}`)
      .join(', ');
    console.log(
      `round ${round}  ${config.label.padEnd(6)} leases: ${spread} (after ${cluster.seconds.toFixed(1)} s)` +
        (cluster.balanced ? '' : `  warning: not evenly spread after ${CLUSTER_WAIT_MS / 1000} s`),
    );
    for (const n of nodes) await probe(`${config.label} node ${n.id}`, n.base, auths[0]);

    const lua = path.join(dir, 'send.lua');
    writeClusterLua(lua, auths);
    await loadAll(nodes, lua, WARMUP_S, opts.connections);
    const sampler = startCpuSampler(classifier(nodes, database?.name));
    const activitySampler = database !== undefined ? startActivitySampler(postgres, database.name) : undefined;
    let results;
    let cpu;
    let activity;
    try {
      results = await loadAll(nodes, lua, opts.duration, opts.connections);
    } finally {
      cpu = sampler.stop();
      activity = await activitySampler?.stop();
    }
    for (const n of nodes) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) {
        throw new Error(`node ${n.id} exited during the run (${n.child.exitCode ?? n.child.signalCode}):\n${tail(n.log)}`);
      }
    }
    const nodeCpu = nodes.map((n) => cpu.groups[`node:${n.id}`] ?? 0);
    const ours = (cpu.groups.postgres ?? 0) + sum(nodeCpu) + (cpu.groups.wrk ?? 0);
    const other = Math.max(0, cpu.machine - ours);
    // Niced background work yields the cores to normal processes; ours are niced too when this script is.
    const niced = Math.min(other, Math.max(0, os.getPriority() > 0 ? cpu.niced - ours : cpu.niced));
    result = {
      label: config.label,
      nodes: config.nodes,
      round,
      spread: cluster.spread,
      balanced: cluster.balanced,
      rps: sum(results.map((r) => r.rps)),
      perNode: results.map((r) => r.rps),
      p50: Math.max(...results.map((r) => r.p50)),
      p99: Math.max(...results.map((r) => r.p99)),
      non2xx: sum(results.map((r) => r.non2xx)),
      socketErrors: sum(results.map((r) => r.socketErrors)),
      socketDetail: results
        .map((r) => r.socketDetail)
        .filter((d) => d !== '')
        .join('; '),
      cpu: {
        postgres: cpu.groups.postgres ?? 0,
        postgresOther: cpu.groups['postgres-other'] ?? 0,
        nodes: sum(nodeCpu),
        perNode: nodeCpu,
        wrk: cpu.groups.wrk ?? 0,
        other,
        niced,
        machine: cpu.machine,
      },
      activity,
    };
    return result;
  } catch (err) {
    await sleep(200);
    for (const n of nodes) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) {
        err.message += `\n(node ${n.id} had exited: ${n.child.exitCode ?? n.child.signalCode}; log tail:)\n${tail(n.log)}`;
      }
    }
    throw err;
  } finally {
    await Promise.all(nodes.map((n) => stop(n.child)));
    if (result !== undefined) {
      // Read after the nodes stopped, so that shutdown trouble shows too.
      result.logs = nodes.map((n) => ({ id: n.id, entries: logSummary(n.log) })).filter((l) => l.entries.length > 0);
      result.logErrors = sum(result.logs.flatMap((l) => l.entries.filter((e) => e.level >= 50).map((e) => e.count)));
    }
    if (database !== undefined) await postgres.drop(database.name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printRun(r, nproc) {
  const errors = r.non2xx + r.socketErrors > 0 ? `  non-2xx ${r.non2xx}${r.socketErrors ? `  ${r.socketDetail}` : ''}` : '  non-2xx 0';
  const perNode = r.nodes > 1 ? ` (${r.perNode.map(fmtRps).join(' + ')})` : '';
  console.log(`round ${r.round}  ${r.label.padEnd(6)} ${fmtRps(r.rps).padStart(7)} req/s${perNode}  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}${errors}`);
  const c = r.cpu;
  console.log(
    `               CPU (cores): postgres ${fmtCores(c.postgres)}, nodes ${fmtCores(c.nodes)}` +
      `${r.nodes > 1 ? ` (${c.perNode.map(fmtCores).join(' + ')})` : ''}, wrk ${fmtCores(c.wrk)}, other ${fmtOther(c, true)}` +
      `; machine ${fmtCores(c.machine)} of ${nproc}`,
  );
  if (r.activity !== undefined) console.log(`               PostgreSQL backends of the bench database (mean): ${fmtActivity(r.activity)}`);
  for (const l of r.logs) {
    console.log(`  node ${l.id} log:`);
    for (const e of l.entries) console.log(`    ${e.count}× ${e.key}`);
  }
}

// ----------------------------------------------------------------- summary

function summarizeAll(runs, nproc) {
  const rows = CONFIGS.map((config) => {
    const mine = runs.filter((r) => r.label === config.label);
    const pick = (f) => median(mine.map(f));
    return {
      label: config.label,
      nodes: config.nodes,
      database: config.postgres ? 'PostgreSQL' : 'SQLite',
      rps: pick((r) => r.rps),
      p50: pick((r) => r.p50),
      p99: pick((r) => r.p99),
      errors: sum(mine.map((r) => r.non2xx + r.socketErrors)),
      logErrors: sum(mine.map((r) => r.logErrors)),
      postgres: pick((r) => r.cpu.postgres),
      nodesCpu: pick((r) => r.cpu.nodes),
      perNodeCpu: pick((r) => r.cpu.nodes / r.nodes),
      wrk: pick((r) => r.cpu.wrk),
      other: pick((r) => r.cpu.other),
      niced: pick((r) => r.cpu.niced),
      machine: pick((r) => r.cpu.machine),
      activity: mine[0]?.activity === undefined ? undefined : meanActivity(mine.map((r) => r.activity)),
    };
  });
  const base = rows.find((r) => r.label === 'pg-1').rps;
  for (const r of rows) r.ratio = r.rps / base;
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  const pg2 = byLabel['pg-2'];
  const pg3 = byLabel['pg-3'];
  const best = Math.max(pg2.ratio, pg3.ratio);
  const growth =
    pg3.ratio >= 1 + SAME && pg3.ratio > pg2.ratio
      ? 'grew with every node added'
      : best >= 1 + SAME
        ? pg3.ratio <= 1 - SAME
          ? 'grew with a second node and fell below one node with a third'
          : 'grew with a second node but not further with a third'
        : Math.min(pg2.ratio, pg3.ratio) <= 1 - SAME
          ? 'fell as nodes were added'
          : `did not grow with nodes (within ±${SAME * 100}%)`;
  const cores = Number(nproc);
  // Cores wanted at normal priority: everything busy except niced background work, which yields to it.
  const demand = pg3.machine - pg3.niced;
  const consumers = [
    ['the nodes', pg3.nodesCpu],
    ['PostgreSQL', pg3.postgres],
    ['wrk', pg3.wrk],
    ['other processes at normal priority', pg3.other - pg3.niced],
  ].sort((a, b) => b[1] - a[1]);
  const breakdown = consumers.map(([name, x]) => `${name} ${fmtCores(x)}`).join(', ');
  const waits = pgWaits(pg3);
  const niced = pg3.niced >= 0.05 ? `; niced background work filled ${fmtCores(pg3.niced)} more and yields to them` : '';
  const limit =
    demand >= CPU_BOUND * cores
      ? `the limit was CPU: with 3 nodes ${fmtCores(demand)} of the machine's ${cores} cores were busy at normal priority (${breakdown}), so the extra nodes only share the same cores`
      : demand >= CPU_NEARLY * cores
        ? `the limit was mostly CPU: with 3 nodes ${fmtCores(demand)} of the machine's ${cores} cores were busy at normal priority (${breakdown}${niced});` +
          ` besides, ${waits.text}, which points to ${waits.cause} as well`
        : `the limit was not CPU: with 3 nodes only ${fmtCores(demand)} of the machine's ${cores} cores were busy at normal priority (${breakdown}${niced});` +
          ` ${waits.text}, which points to ${waits.cause}`;
  // Work at normal priority outside the benchmark competes for the cores.
  const otherMax = Math.max(...rows.map((r) => r.other - r.niced));
  const caveat =
    otherMax >= OTHER_NOTABLE ? ` Other processes at normal priority took up to ${fmtCores(otherMax)} cores during the runs, so the numbers are noisy.` : '';
  const verdict =
    `Throughput on PostgreSQL ${growth}: pg-1 ${fmtRps(base)} req/s, pg-2 ${fmtRps(pg2.rps)} (${fmtX(pg2.ratio)}),` +
    ` pg-3 ${fmtRps(pg3.rps)} (${fmtX(pg3.ratio)}); SQLite (one node) ${fmtRps(byLabel.sqlite.rps)} (${fmtX(byLabel.sqlite.ratio)} pg-1);` +
    ` ${limit}.${caveat}`;
  return { rows, verdict };
}

/** The mean over runs of each activity label's mean, most first. */
function meanActivity(list) {
  const totals = new Map();
  for (const a of list) for (const [label, n] of Object.entries(a)) totals.set(label, (totals.get(label) ?? 0) + n / list.length);
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]));
}

/** What the bench database's backends mostly waited on while busy, and what that points to. */
function pgWaits(row) {
  const busy = Object.entries(row.activity ?? {}).filter(([label]) => !label.startsWith('idle'));
  const busyTotal = sum(busy.map(([, n]) => n));
  const idle = sum(
    Object.entries(row.activity ?? {})
      .filter(([label]) => label.startsWith('idle'))
      .map(([, n]) => n),
  );
  if (busy.length === 0) return { text: 'no PostgreSQL activity was sampled', cause: 'unknown' };
  const [top, n] = busy[0];
  const cause = top.startsWith('Lock:')
    ? "lock waits between the nodes' transactions"
    : /^(IO:WAL|LWLock:WAL)/.test(top)
      ? 'commit (WAL flush) latency'
      : top === 'active on CPU'
        ? "PostgreSQL's own CPU time"
        : `waits on ${top}`;
  return {
    text: `the bench database's backends were on average ${busyTotal.toFixed(1)} busy (most often ${top}, ${n.toFixed(1)}) and ${idle.toFixed(1)} idle`,
    cause,
  };
}

/** The distinct warnings and errors the nodes logged, for the doc (empty when none). */
function logNotes(runs) {
  const counts = new Map();
  for (const r of runs) for (const l of r.logs) for (const e of l.entries) counts.set(e.key, (counts.get(e.key) ?? 0) + e.count);
  if (counts.size === 0) return '';
  const lines = [...counts].map(([key, n]) => `- ${n}× \`${key.replaceAll('`', "'")}\``);
  return `\nWhat the nodes logged (warn and above, all runs):\n\n${lines.join('\n')}\n`;
}

function section(runs, summary, m, opts) {
  const table = summary.rows
    .map(
      (r) =>
        `| ${r.label} | ${r.nodes} | ${r.database} | ${fmtRps(r.rps)} | ${fmtX(r.ratio)} | ${fmtMs(r.p50)} | ${fmtMs(r.p99)} | ${r.errors} | ${r.logErrors}` +
        ` | ${fmtCores(r.postgres)} | ${fmtCores(r.nodesCpu)} (${fmtCores(r.perNodeCpu)} each) | ${fmtCores(r.wrk)} | ${fmtOther(r)} | ${fmtCores(r.machine)}` +
        ` | ${fmtActivity(r.activity)} |`,
    )
    .join('\n');
  const raw = runs
    .map(
      (r) =>
        `| ${r.round} | ${r.label} | ${fmtRps(r.rps)}${r.nodes > 1 ? ` (${r.perNode.map(fmtRps).join(' + ')})` : ''} | ${fmtMs(r.p50)} | ${fmtMs(r.p99)}` +
        ` | ${r.non2xx} / ${r.socketErrors} | ${r.logErrors} | ${Object.values(r.spread).join(' / ')}` +
        ` | ${fmtCores(r.cpu.postgres)} | ${r.cpu.perNode.map(fmtCores).join(' + ')} | ${fmtCores(r.cpu.wrk)} | ${fmtOther(r.cpu)} | ${fmtCores(r.cpu.machine)} |`,
    )
    .join('\n');
  const order = CONFIGS.map((c) => c.label).join(', ');
  return `${BEGIN}
## Several nodes on one PostgreSQL: accepted sends per second

What is measured: how many text sends per second (\`POST ${SEND_PATH}\`, answered
\`200 {"message_id"}\` once stored) 1, 2 and 3 gateway nodes on one PostgreSQL
database accept together, beside a single node on SQLite, and which resource
limits them.

Method (\`node bench/cluster.mjs --write\`):

- per configuration a fresh database (PostgreSQL: \`CREATE DATABASE\` on the local
  server; SQLite: a temp file, WAL, \`synchronous=FULL\`) and the built gateway
  (\`dist/main.js\`) per node, each with its own port and data dir; on PostgreSQL the
  same \`CONNEXA_SECRET_KEY\` and \`CONNEXA_ADMIN_TOKEN\` on every node,
  \`CONNEXA_NODE_ID\` n1..n3 and \`CONNEXA_NODE_URL\`;
- dispatch on (the default): every node also sends, delivers and reads (sandbox
  engine, 1 s and 2 s later) the messages of the instances it holds the lease of;
- ${INSTANCES} sandbox instances of one user created through node 1's admin API once every
  node is ready; the run waits until \`GET /api/v1/admin/cluster\` shows every node
  alive and all ${INSTANCES} leases held (spread evenly where it got there within ${CLUSTER_WAIT_MS / 1000} s);
- one \`wrk -t1 --latency\` per node, all at once, each against its own node, ${opts.connections}
  connections in all split evenly over the nodes; every request carries the next
  instance's credentials and the next of 1000 recipients (\`554490000000\`–\`554490000999\`);
  a ${WARMUP_S} s warm-up, then ${opts.duration} s measured; req/s summed over the wrk processes,
  p50 and p99 of the worst node;
- CPU (utime + stime from \`/proc\`, sampled every 250 ms over the measured run) in
  cores busy: PostgreSQL (its background processes and the backends of the bench
  database), the nodes, the wrk processes, and everything else the machine ran
  (\`/proc/stat\` less those three; it includes other databases' backends; "niced" is
  the part of it at nice > 0, background work that yields the cores to the benchmark);
- on PostgreSQL, \`pg_stat_activity\` of the bench database sampled every 250 ms over the
  measured run: the mean number of client backends idle, running, or waiting (by wait event);
- no CPU pinning: the nodes, PostgreSQL and wrk share all ${m.nproc} cores;
- configurations in the order ${order} in odd rounds, reversed in even rounds, so a drift
  in the machine's speed hits all alike; the tables give medians over rounds.

### Latest run

- Date: ${m.date}
- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}; ${m.os}
- Node ${m.node}, ${m.wrk}; PostgreSQL on the same machine
- Code: commit ${m.commit}${m.dirty ? ' with uncommitted changes in src/' : ''}
- Run: \`node bench/cluster.mjs --rounds ${opts.rounds} --duration ${opts.duration} --connections ${opts.connections} --write\`

Medians over ${opts.rounds} round(s); CPU in cores busy during the measured run:

| configuration | nodes | database | req/s | × pg-1 | p50 | p99 | non-2xx + socket errors | errors in node logs | CPU postgres | CPU nodes | CPU wrk | CPU other | machine busy | PostgreSQL backends (mean) |
|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
${table}

Each run:

| round | configuration | req/s (per node) | p50 | p99 | non-2xx / socket errors | errors in node logs | leases per node | CPU postgres | CPU per node | CPU wrk | CPU other | machine busy |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${raw}
${logNotes(runs)}
${summary.verdict}
${END}`;
}

// --------------------------------------------------------------------- main

async function main() {
  const opts = parseCli(
    USAGE,
    { duration: [8, 1, 3600], rounds: [2, 1, 50], connections: [64, 3, 10_000] },
    { 'postgres-url': { type: 'string', default: process.env.CONNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' } },
  );
  if (!fs.existsSync(DIST_MAIN)) {
    console.error(`${path.relative(process.cwd(), DIST_MAIN) || DIST_MAIN} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
  if (which('wrk') === undefined) {
    console.error('wrk is not on PATH: install it (e.g. `apt-get install wrk`).');
    process.exit(1);
  }
  setPinning(false); // several servers, PostgreSQL and wrk share the cores

  tmpRoot = makeTmpRoot();
  const postgres = await benchPostgres(opts['postgres-url']);
  const m = machine();
  console.log(
    `cluster bench: ${opts.rounds} round(s) × (${CONFIGS.map((c) => c.label).join(', ')}), ${opts.duration} s each after ${WARMUP_S} s warm-up,` +
      ` wrk -t1 per node, ${opts.connections} connections in all, ${INSTANCES} sandbox instances, dispatch on;` +
      ` PostgreSQL ${redact(opts['postgres-url'])}; ${m.nproc} CPUs, ${m.cpu}, Node ${m.node}; not pinned`,
  );

  const runs = [];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 === 1 ? CONFIGS : [...CONFIGS].reverse();
      for (const config of order) {
        const r = await runConfig(config, round, postgres, opts);
        printRun(r, m.nproc);
        runs.push(r);
        await sleep(500);
      }
    }
  } finally {
    await postgres.close();
  }

  const summary = summarizeAll(runs, m.nproc);
  console.log('\nmedians over rounds:');
  for (const r of summary.rows) {
    const activity = r.activity !== undefined ? `\n           PostgreSQL backends (mean): ${fmtActivity(r.activity)}` : '';
    console.log(
      `  ${r.label.padEnd(6)} ${fmtRps(r.rps).padStart(7)} req/s  ${fmtX(r.ratio).padStart(6)} pg-1  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}` +
        `  errors ${r.errors}  log errors ${r.logErrors}  CPU postgres ${fmtCores(r.postgres)}, nodes ${fmtCores(r.nodesCpu)}, wrk ${fmtCores(r.wrk)},` +
        ` other ${fmtOther(r)}, machine ${fmtCores(r.machine)}${activity}`,
    );
  }
  const errors = sum(runs.map((r) => r.non2xx + r.socketErrors));
  if (errors > 0) console.log(`warning: ${errors} non-2xx responses or socket errors in all`);
  const logErrors = sum(runs.map((r) => r.logErrors));
  if (logErrors > 0) console.log(`warning: the nodes logged ${logErrors} errors in all (see the node log lines above)`);
  if (runs.some((r) => !r.balanced)) console.log('warning: leases were not evenly spread in some runs (see the lease lines above)');
  if (opts.write) {
    writeDoc(section(runs, summary, m, opts), BEGIN, END);
    console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
  }
  console.log(summary.verdict);
}

main().catch((err) => {
  console.error(`cluster bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
