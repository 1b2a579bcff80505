#!/usr/bin/env node
// Dispatch latency at a steady rate: the built gateway (dist/main.js, SQLite,
// sandbox engine, dispatcher in the same process) on core 0; an open-loop load
// generator (bench/lib/open-loop.mjs, undici Pool, keep-alive) on core 1 sending
// POST /api/v1/message/text on a fixed schedule spread over many sandbox instances.
// Dispatch latency per message = sandbox_inbox.received_at (engine.send called)
// − messages.created_at (accepted), read from the database after the run.
//
//   node bench/dispatch.mjs [--rate 2000] [--instances 1000] [--duration 20] [--write]
//
// --write rewrites the section between <!-- dispatch:begin --> and
// <!-- dispatch:end --> in docs/BENCHMARKS.md. Needs a built dist/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCli } from './lib/cli.mjs';
import { fileURLToPath } from 'node:url';
import { DIST_MAIN, DOC } from './lib/constants.mjs';
import { dispatchStats, waitDrained } from './lib/dispatch-db.mjs';
import { DISPATCH_BEGIN, DISPATCH_END, dispatchSection, summarizeDispatch } from './lib/dispatch-report.mjs';
import { gatewayEnv, probe } from './lib/gateway.mjs';
import { cleanup, freePort, makeTmpRoot, pinned, run, setPinning, startServer, stop, tail, waitReady, which } from './lib/processes.mjs';
import { procStats } from './lib/proc-stats.mjs';
import { machine, writeDoc } from './lib/report.mjs';
import { createSandboxInstances } from './lib/tenants.mjs';

const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'open-loop.mjs');

const USAGE = `Usage: node bench/dispatch.mjs [options]

  --rate N         sends per second, on a fixed schedule (default 2000)
  --instances N    sandbox instances the sends are spread over (default 1000)
  --duration N     measured seconds (default 20)
  --warmup N       seconds of the same load before, not measured (default 5)
  --connections N  keep-alive connections of the load generator (default 256)
  --cpu-prof DIR   run the gateway with node --cpu-prof, profiles in DIR
  --note TEXT      a line added to the written section (e.g. "machine shared")
  --write          rewrite the dispatch section of docs/BENCHMARKS.md`;

function options() {
  const cli = parseCli(
    USAGE,
    {
      rate: [2000, 1, 100_000],
      instances: [1000, 1, 100_000],
      duration: [20, 1, 3600],
      warmup: [5, 0, 600],
      connections: [256, 1, 10_000],
    },
    { 'cpu-prof': { type: 'string' }, note: { type: 'string' } },
  );
  return { ...cli, cpuProf: cli['cpu-prof'] === undefined ? undefined : path.resolve(cli['cpu-prof']) };
}

async function runLoad(tmpRoot, base, auths, opts) {
  const cfgFile = path.join(tmpRoot, 'load.json');
  fs.writeFileSync(
    cfgFile,
    JSON.stringify({
      base,
      auths,
      rate: opts.rate,
      warmupS: opts.warmup,
      durationS: opts.duration,
      connections: opts.connections,
    }),
  );
  const [cmd, args] = pinned(1, process.execPath, [LOADER, cfgFile]);
  const r = await run(cmd, args, { timeoutMs: (opts.warmup + opts.duration + 120) * 1000 });
  if (r.code !== 0) throw new Error(`load generator failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const opts = options();
  if (!fs.existsSync(DIST_MAIN)) {
    console.error('dist/main.js is missing: run `npm run build` first.');
    process.exit(1);
  }
  const pin = which('taskset') !== undefined && os.availableParallelism() >= 2;
  setPinning(pin);
  if (!pin) console.warn('warning: not pinning (needs taskset and ≥ 2 cores); numbers are noisier');
  const tmpRoot = makeTmpRoot();
  const m = machine();
  const loadAvg = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  console.log(
    `dispatch bench: ${opts.rate} msg/s open loop over ${opts.instances} sandbox instances, ${opts.duration} s` +
      ` after ${opts.warmup} s warm-up, ${opts.connections} connections; ${m.nproc} CPUs, ${m.cpu}, Node ${m.node}, load ${loadAvg}`,
  );

  const dataDir = path.join(tmpRoot, 'data');
  fs.mkdirSync(dataDir);
  // The loader's 256 connections, plus the setup's and the probe's, all come from 127.0.0.1.
  const env = { ...gatewayEnv(dataDir, await freePort()), CONNEXA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '100000' };
  const dbFile = path.join(dataDir, 'connexa.db');
  const base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
  const log = path.join(tmpRoot, 'gateway.log');
  const nodeArgs = opts.cpuProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf];
  const child = startServer('gateway', [...nodeArgs, DIST_MAIN], env, log);
  let load;
  let db;
  try {
    await waitReady('gateway', child, `${base}/readyz`, log);
    const auths = await createSandboxInstances(base, env.CONNEXA_ADMIN_TOKEN, opts.instances);
    await probe('gateway', base, auths[0]);
    const before = procStats(child.pid);
    const started = Date.now();
    load = await runLoad(tmpRoot, base, auths, opts);
    const after = procStats(child.pid);
    // The gateway's CPU over the whole load (warm-up included) as a share of one core, and what it wrote per message.
    if (before !== undefined && after !== undefined) {
      load.gatewayCpu = (after.cpuMs - before.cpuMs) / (Date.now() - started);
      load.writtenPerMessage = (after.writtenBytes - before.writtenBytes) / load.total;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gateway exited during the run (${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
    }
    if (!(await waitDrained(dbFile, 60_000))) console.warn('warning: the outbox had not drained 60 s after the load');
    db = dispatchStats(dbFile, load.warm);
  } finally {
    await stop(child);
  }
  const logged = tail(log, 5);
  if (logged !== '') console.log(`gateway log (last lines):\n${logged.replace(/^/gm, '  ')}`);
  if (load.maxLagMs > 20) console.warn(`warning: the load generator fell behind its schedule by up to ${load.maxLagMs.toFixed(0)} ms`);
  const summary = summarizeDispatch(opts, load, db);
  if (load.gatewayCpu !== undefined) {
    console.log(
      `gateway during the load: CPU ${(100 * load.gatewayCpu).toFixed(0)}% of a core,` +
        ` ${(load.writtenPerMessage / 1024).toFixed(1)} KiB written per message`,
    );
  }
  console.log(
    `dispatch p90 ${db.p90} ms, p99.9 ${db.p999} ms; accept → attempt counted (claimed) p50 ${db.claimedP50} ms,` +
      ` p99 ${db.claimedP99} ms; accept → sent p50 ${db.sentP50} ms, p99 ${db.sentP99} ms;` +
      ` statuses ${JSON.stringify(db.byStatus)}`,
  );
  console.log(summary.verdict);
  if (opts.write) {
    writeDoc(dispatchSection(opts, load, db, summary, m, loadAvg), DISPATCH_BEGIN, DISPATCH_END);
    console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
  }
  console.log(summary.line);
}

main().catch((err) => {
  console.error(`dispatch bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
