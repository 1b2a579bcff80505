#!/usr/bin/env node
// Memory per idle sandbox instance. The built gateway (dist/gateway.js: SQLite,
// dispatcher, sandbox engine) runs in this process, so its heap can be read after
// a full GC; a client process (bench/lib/idle-client.mjs) creates the instances
// through the admin API and uses each one once through the real HTTP API (one
// text sent, its status read until `read`), then everything idles.
//
//   node bench/idle-memory.mjs [--instances 10000] [--idle 5] [--concurrency 16] [--snapshots DIR] [--write]
//
// heapUsed and RSS are read after repeated GC: with zero instances (after one
// warm-up instance used once), after the first tenth of the instances, after all
// of them, and once more after another idle period (growth while idle). Reports
// (heap after all − heap with zero) / N per instance; target < 64 KiB.
// --write rewrites the section between <!-- idle-memory:begin --> and
// <!-- idle-memory:end --> in docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCli } from './lib/cli.mjs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DOC, ROOT } from './lib/constants.mjs';
import { gatewayEnv } from './lib/gateway.mjs';
import { fmtInt, machineLines, markers, writeSection } from './lib/pressure.mjs';
import { cleanup, makeTmpRoot, run, sleep } from './lib/processes.mjs';
import { machine } from './lib/report.mjs';

const TARGET_KIB = 64;
const CLIENT = path.join(ROOT, 'bench', 'lib', 'idle-client.mjs');
const { begin: BEGIN, end: END } = markers('idle-memory');

const USAGE = `Usage: node bench/idle-memory.mjs [--instances N] [--idle SECONDS] [--concurrency N] [--snapshots DIR] [--write]

  --instances N    idle sandbox instances (default 10000; 100 to 100000)
  --idle N         seconds of idling before each measurement (default 5)
  --concurrency N  the client's requests in flight (default 16)
  --snapshots DIR  also write a heap snapshot at each reading into DIR, to compare in Chrome
                   DevTools (writing one inflates RSS: read only the heap figures then)
  --write          rewrite the idle-memory section of docs/BENCHMARKS.md`;

// A full GC on demand: --expose-gc when given, otherwise switched on from here.
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));

/** Memory after repeated full GCs (weak references and finalizers get their turns in between). */
async function measure() {
  for (let i = 0; i < 6; i++) {
    gc();
    await sleep(50);
  }
  const u = process.memoryUsage();
  return { heap: u.heapUsed, rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers };
}

const kib = (bytes) => bytes / 1024;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const perInstance = (a, b, n) => ({ heap: kib(b.heap - a.heap) / n, rss: kib(b.rss - a.rss) / n, external: kib(b.external - a.external) / n });
const fmtKib = (x) => `${x.toFixed(x < 10 ? 2 : 1)} KiB`;

function docSection(opts, m, points, total, marginal, drift, line, clients) {
  const rows = points.map((p) => `| ${p.label} | ${fmtInt(p.instances)} | ${mib(p.mem.heap)} | ${mib(p.mem.rss)} | ${mib(p.mem.external)} |`);
  return `${BEGIN}
## Memory per idle instance

What is measured: what an instance that was used once and is now idle costs the
gateway process. The built gateway (\`dist/gateway.js\`: SQLite, dispatcher, sandbox
engine, \`CONNEXA_SANDBOX_DELIVER_MS=20\`, \`CONNEXA_SANDBOX_READ_MS=40\`) runs inside the
measuring process; a separate client process creates one user with one sandbox
instance each through the admin API, sends one text per instance through
\`POST /api/v1/message/text\` (HTTP Basic auth: the auth cache, dispatcher lane and
engine state come into being) and reads every message's status until \`read\`. Then
the gateway idles ${opts.idle} s and \`heapUsed\` and RSS are read after repeated full GCs. The
baseline is the same gateway after one warm-up instance used once. Target from the
issue: < ${TARGET_KIB} KiB of heap per idle instance at 10,000 instances.

${machineLines(m, `node bench/idle-memory.mjs --instances ${opts.instances} --idle ${opts.idle} --concurrency ${opts.concurrency} --write`)}

| point | instances | heapUsed | RSS | external |
|---|---:|---:|---:|---:|
${rows.join('\n')}

- per idle instance, (all − zero) / ${fmtInt(opts.instances)}: heap ${fmtKib(total.heap)}, RSS ${fmtKib(total.rss)}, external ${fmtKib(total.external)}
- marginal, (all − first tenth) / ${fmtInt(opts.instances - points[1].instances)}: heap ${fmtKib(marginal.heap)}, RSS ${fmtKib(marginal.rss)}
- while idle a further ${opts.idle} s: heap ${drift.heap >= 0 ? '+' : ''}${mib(drift.heap)}, RSS ${drift.rss >= 0 ? '+' : ''}${mib(drift.rss)}
- client: ${clients}
- \`${line}\`

RSS also holds SQLite's page cache (up to 64 MiB per connection, filled as the
tables grow) and freed-but-kept malloc memory, so it says more about the database
than about instances; the heap is what instances cost in JavaScript objects.
${END}`;
}

async function main() {
  const cli = parseCli(USAGE, { instances: [10000, 100, 100_000], idle: [5, 1, 300], concurrency: [16, 1, 256] }, { snapshots: { type: 'string' } });
  const opts = { ...cli, snapshots: cli.snapshots === undefined ? undefined : path.resolve(cli.snapshots) };
  const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
  if (!fs.existsSync(path.join(ROOT, 'dist', 'gateway.js'))) {
    console.error('dist/gateway.js is missing: run `npm run build` first.');
    process.exit(1);
  }
  const { startGateway } = await import(dist('gateway.js'));
  const { loadConfig } = await import(dist('config.js'));
  const { createLogger } = await import(dist('log.js'));

  const tmpRoot = makeTmpRoot();
  const env = {
    ...gatewayEnv(tmpRoot, 0),
    CONNEXA_SANDBOX_DELIVER_MS: '20',
    CONNEXA_SANDBOX_READ_MS: '40',
    CONNEXA_SECRET_KEY: randomBytes(32).toString('hex'), // else a key file is generated, with a warning
  };
  const config = loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('CONNEXA_'))), tmpRoot);
  const m = machine();
  console.log(
    `idle memory: ${fmtInt(opts.instances)} sandbox instances, ${opts.idle} s idle before each reading;` + ` ${m.nproc} CPUs, ${m.cpu}, Node ${m.node}`,
  );
  const gateway = await startGateway(config, { logger: createLogger(env.CONNEXA_LOG_LEVEL), print: () => {} });
  const credsFile = path.join(tmpRoot, 'tenants.json');
  const clients = [];
  const client = async (create, warmUp = false) => {
    const arg = JSON.stringify({
      base: gateway.url,
      adminToken: env.CONNEXA_ADMIN_TOKEN,
      create,
      concurrency: opts.concurrency,
      ...(warmUp ? {} : { credsFile }),
    });
    const r = await run(process.execPath, [CLIENT, arg], { timeoutMs: 30 * 60_000 });
    const out = r.code === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : undefined;
    if (out === undefined) throw new Error(`client failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-2000)}`);
    console.log(
      `  client: ${fmtInt(out.created)} created, ${fmtInt(out.instances)} instances, statuses ${JSON.stringify(out.statuses)},` +
        ` ${(out.ms.create / 1000).toFixed(1)} s creating, ${(out.ms.send / 1000).toFixed(1)} s sending, ${(out.ms.status / 1000).toFixed(1)} s reading statuses`,
    );
    if (out.settled !== out.instances) throw new Error(`${out.instances - out.settled} message(s) were not sent within the client's limit`);
    if (!warmUp)
      clients.push(
        `${fmtInt(out.created)} instances created in ${(out.ms.create / 1000).toFixed(1)} s, sent in ${(out.ms.send / 1000).toFixed(1)} s, statuses of ${fmtInt(out.instances)} read in ${(out.ms.status / 1000).toFixed(1)} s`,
      );
  };
  const points = [];
  const point = async (label, instances) => {
    await sleep(opts.idle * 1000);
    const mem = await measure();
    points.push({ label, instances, mem });
    console.log(
      `${label.padEnd(28)} ${fmtInt(instances).padStart(7)} instances: heapUsed ${mib(mem.heap)}, RSS ${mib(mem.rss)}, external ${mib(mem.external)}`,
    );
    if (opts.snapshots !== undefined) {
      fs.mkdirSync(opts.snapshots, { recursive: true });
      const file = v8.writeHeapSnapshot(path.join(opts.snapshots, `idle-${points.length}-${instances}.heapsnapshot`));
      console.log(`  heap snapshot: ${file}`);
    }
    return mem;
  };
  try {
    await client(1, true);
    const zero = await point('zero (after warm-up)', 0);
    const tenth = Math.round(opts.instances / 10);
    await client(tenth);
    await point('first tenth', tenth);
    await client(opts.instances - tenth);
    const all = await point('all, idle', opts.instances);
    const later = await point(`all, idle ${opts.idle} s more`, opts.instances);

    const total = perInstance(zero, all, opts.instances);
    const marginal = perInstance(points[1].mem, all, opts.instances - tenth);
    const drift = { heap: later.heap - all.heap, rss: later.rss - all.rss };
    const met = total.heap < TARGET_KIB;
    const line =
      `idle memory: ${fmtInt(opts.instances)} idle sandbox instances, heap +${fmtKib(total.heap)} per instance` +
      ` (target < ${TARGET_KIB} KiB: ${met ? 'met' : 'NOT met'}), RSS +${fmtKib(total.rss)} per instance`;
    if (opts.write) {
      writeSection('idle-memory', docSection(opts, m, points, total, marginal, drift, line, clients.join('; ')));
      console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
    }
    console.log(
      `marginal (all − first tenth): heap ${fmtKib(marginal.heap)}, RSS ${fmtKib(marginal.rss)} per instance;` +
        ` while idle ${opts.idle} s more: heap ${mib(drift.heap)}, RSS ${mib(drift.rss)}`,
    );
    console.log(line);
    if (!met) process.exitCode = 1;
  } finally {
    await gateway.stop();
  }
}

main().catch((err) => {
  console.error(`idle-memory bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
