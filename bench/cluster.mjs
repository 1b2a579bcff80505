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
import path from 'node:path';
import { parseCli } from './lib/cli.mjs';
import { CLUSTER_WAIT_MS, CONFIGS, INSTANCES, WARMUP_S } from './lib/cluster-config.mjs';
import { classifier, cpuBreakdown } from './lib/cluster-cpu.mjs';
import { benchPostgres, redact } from './lib/cluster-db.mjs';
import { writeClusterSection } from './lib/cluster-doc.mjs';
import { fmtCores, fmtOther, fmtX, sum } from './lib/cluster-format.mjs';
import { loadAll, writeClusterLua } from './lib/cluster-load.mjs';
import { assertRunning, nodeLogs, noteExits, startNode, stopNodes, waitCluster, waitNodesReady } from './lib/cluster-nodes.mjs';
import { summarizeAll } from './lib/cluster-summary.mjs';
import { DIST_MAIN, DOC } from './lib/constants.mjs';
import { startCpuSampler } from './lib/cpu-sampler.mjs';
import { probe } from './lib/gateway.mjs';
import { fmtActivity, startActivitySampler } from './lib/pg-activity.mjs';
import { cleanup, makeTmpRoot, setPinning, sleep, which } from './lib/processes.mjs';
import { fmtMs, fmtRps, machine } from './lib/report.mjs';
import { createSandboxInstances } from './lib/tenants.mjs';

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
    for (let i = 1; i <= config.nodes; i++) nodes.push(await startNode(config.label, dir, i, { adminToken, secretKey, database }));
    // Every node up before the instances exist, so that their leases spread as they are created.
    await waitNodesReady(config.label, nodes);
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
    assertRunning(nodes);
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
      cpu: cpuBreakdown(cpu, nodes),
      activity,
    };
    return result;
  } catch (err) {
    await noteExits(err, nodes);
    throw err;
  } finally {
    await stopNodes(nodes);
    // Read after the nodes stopped, so that shutdown trouble shows too.
    if (result !== undefined) Object.assign(result, nodeLogs(nodes));
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
    writeClusterSection(runs, summary, m, opts);
    console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
  }
  console.log(summary.verdict);
}

main().catch((err) => {
  console.error(`cluster bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
