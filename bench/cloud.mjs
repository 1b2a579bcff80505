#!/usr/bin/env node
// The `cloud` engine at its throughput limit (issue 12): 2,000 texts through one
// `cloud` instance to the fake Graph API (80 msg/s per calendar second, else 130429;
// pair rate 45 / 6 s, else 131056), in two runs on a fresh gateway and fake each:
// A) the instance's `throughput` left at 80 (the engine paces the number);
// B) `throughput: 1000` (the engine goes faster than the fake allows, so 130429
//    and the retries are the control loop). Counts what the fake refused, lost
//    and duplicated messages, and the peak per calendar second.
//
//   node bench/cloud.mjs [--messages 2000] [--recipients 500] [--concurrency 32] [--deadline 300] [--runs AB] [--write]
import fs from 'node:fs';
import path from 'node:path';
import { parseCli } from './lib/cli.mjs';
import { compileFakeGraph } from './lib/cloud-fake.mjs';
import { busyLine, meets, runLine, section, verdictLine } from './lib/cloud-report.mjs';
import { cloudRun } from './lib/cloud-run.mjs';
import { DIST_MAIN } from './lib/constants.mjs';
import { writeSection } from './lib/pressure.mjs';
import { cleanup, makeTmpRoot } from './lib/processes.mjs';
import { machine } from './lib/report.mjs';

const USAGE = `Usage: node bench/cloud.mjs [--messages 2000] [--recipients 500] [--concurrency 32] [--deadline 300] [--retry-base-ms 0] [--runs AB] [--write]

  --messages N       texts per run (default 2000)
  --recipients N     distinct recipients, round-robin (default 500: 4 texts each)
  --concurrency N    accept requests in flight (default 32)
  --deadline N       seconds to wait for every message to be sent or failed (default 300)
  --retry-base-ms N  CONNEXA_DISPATCH_RETRY_BASE_MS for the gateway (default 0: its own default, 2000)
  --runs AB          which runs: A (throughput 80), B (throughput 1000), or both (default)
  --write            rewrite the cloud section of docs/BENCHMARKS.md`;

async function main() {
  const opts = parseCli(
    USAGE,
    {
      messages: [2000, 1, 100_000],
      recipients: [500, 1, 100_000],
      concurrency: [32, 1, 1_000],
      deadline: [300, 10, 3_600],
      'retry-base-ms': [0, 0, 3_600_000],
    },
    { runs: { type: 'string', default: 'AB' } },
  );
  if (!fs.existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const tmp = makeTmpRoot();
  const fakeServerUrl = await compileFakeGraph(path.join(tmp, 'graph-fake'));
  const retryBase = opts['retry-base-ms'];
  const extraEnv = retryBase > 0 ? { CONNEXA_DISPATCH_RETRY_BASE_MS: String(retryBase) } : {};
  const common = {
    fakeServerUrl,
    messages: opts.messages,
    recipients: opts.recipients,
    concurrency: opts.concurrency,
    deadlineMs: opts.deadline * 1000,
    extraEnv,
  };
  const runs = [];
  const configurations = [
    ['A', undefined],
    ['B', 1000],
  ].filter(([label]) => opts.runs.toUpperCase().includes(label));
  if (configurations.length === 0) throw new Error(`--runs ${opts.runs}: expected A, B or AB`);
  for (const [label, throughput] of configurations) {
    const r = await cloudRun({ ...common, label, throughput, dir: path.join(tmp, `run-${label}`) });
    console.log(runLine(r));
    console.log(`  ${busyLine(r)}`);
    runs.push(r);
  }
  const verdict = verdictLine(runs[0]);
  console.log(verdict);
  if (opts.write) {
    const flags = [
      `--messages ${opts.messages}`,
      `--recipients ${opts.recipients}`,
      `--concurrency ${opts.concurrency}`,
      `--deadline ${opts.deadline}`,
      ...(retryBase > 0 ? [`--retry-base-ms ${retryBase}`] : []),
    ];
    writeSection('cloud', section(runs, machine(), `node bench/cloud.mjs ${flags.join(' ')} --write`, opts));
    console.log('wrote docs/BENCHMARKS.md');
  }
  if (!meets(runs[0])) process.exitCode = 1;
}

main()
  .catch((err) => {
    console.error(`cloud bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
