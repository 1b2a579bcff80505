// The cluster benchmark's section of docs/BENCHMARKS.md (between
// <!-- cluster:begin --> and <!-- cluster:end -->): what is measured, the
// method, the latest run's machine, the medians and each run in Markdown
// tables, what the nodes logged, and the verdict.
import { CLUSTER_WAIT_MS, CONFIGS, INSTANCES, WARMUP_S } from './cluster-config.mjs';
import { fmtCores, fmtOther, fmtX } from './cluster-format.mjs';
import { SEND_PATH } from './constants.mjs';
import { fmtActivity } from './pg-activity.mjs';
import { fmtMs, fmtRps, writeDoc } from './report.mjs';

const BEGIN = '<!-- cluster:begin -->';
const END = '<!-- cluster:end -->';

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

/** Rewrites the cluster section of docs/BENCHMARKS.md (appended at the end when its markers are missing). */
export function writeClusterSection(runs, summary, m, opts) {
  writeDoc(section(runs, summary, m, opts), BEGIN, END);
}
