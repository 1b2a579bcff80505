#!/usr/bin/env node
// Abuse run: 10,000 wrong passwords against one user while another user sends
// at a steady rate; the other user's latency must not suffer.
//
// The gateway (dist/main.js, SQLite, default abuse limits: 10 failed sign-ins
// per user_id + address per 15 min) runs on core 0. On core 1 an open-loop
// sender (bench/lib/open-loop.mjs) sends as the normal user at --rate per second,
// first alone (baseline), then again while bench/lib/attacker.mjs guesses the
// victim's token --attempts times over --attackers connections (locked-out
// guesses are held 500 ms before their 429, so 128 connections finish 10,000
// guesses in about 40 s). Everything
// comes from 127.0.0.1, so the attacker and the normal user share an address:
// the lock-out must be per user_id + address, not per address.
//
//   node bench/abuse.mjs [--rate 300] [--duration 10] [--attempts 10000] [--attackers 128] [--write]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli } from './lib/cli.mjs';
import { startBuiltGateway } from './lib/gateway.mjs';
import { createTenant, fmtInt, machineLines, markers, writeSection } from './lib/pressure.mjs';
import { cleanup, pinned, run, setPinning, stop, tail, which } from './lib/processes.mjs';
import { fmtMs, machine } from './lib/report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SENDER = path.join(HERE, 'lib', 'open-loop.mjs');
const ATTACKER = path.join(HERE, 'lib', 'attacker.mjs');
const USAGE = `Usage: node bench/abuse.mjs [--rate 300] [--duration 10] [--attempts 10000] [--attackers 128] [--write]

  --rate N       the normal user's sends per second (open loop)
  --duration N   seconds measured, alone and then under attack (plus a 2 s warm-up)
  --attempts N   wrong passwords sent against the victim
  --attackers N  connections the attacker uses
  --write        rewrite the abuse section of docs/BENCHMARKS.md`;

async function node(tmp, script, name, cfg, timeoutMs) {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  const [cmd, args] = pinned(1, process.execPath, [script, file]);
  const r = await run(cmd, args, { timeoutMs });
  const line = r.stdout.trim().split('\n').pop();
  if (r.code !== 0 || line === undefined) throw new Error(`${name} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 500)}`);
  return JSON.parse(line);
}

function verdict(base, attacked) {
  // "Unaffected": the p99 under attack within 1.5× the baseline's, or within 2 ms of it (noise at sub-ms latencies).
  const ok = attacked.acceptP99 <= Math.max(base.acceptP99 * 1.5, base.acceptP99 + 2) && attacked.non2xx === 0 && attacked.errors === 0;
  return ok ? 'unaffected' : 'AFFECTED';
}

async function main() {
  const opts = parseCli(USAGE, { rate: [300, 1, 20_000], duration: [10, 2, 600], attempts: [10_000, 1, 1_000_000], attackers: [128, 1, 1_000] });
  setPinning(which('taskset') !== undefined && os.availableParallelism() >= 2);
  const { env, base, child, log, tmp } = await startBuiltGateway();
  try {
    const normal = await createTenant(base, env.CONNEXA_ADMIN_TOKEN, 'normal');
    const victim = await createTenant(base, env.CONNEXA_ADMIN_TOKEN, 'victim');
    const load = { base, auths: [normal.auth], rate: opts.rate, warmupS: 2, durationS: opts.duration, connections: 32 };
    const timeoutMs = (opts.duration + 120) * 1000;

    console.log(`abuse: baseline, ${opts.rate} sends/s for ${opts.duration} s as the normal user…`);
    const baseline = await node(tmp, SENDER, 'baseline', load, timeoutMs);
    console.log(`abuse: again, while ${fmtInt(opts.attempts)} wrong passwords hit another user from the same address…`);
    const [attacked, attack] = await Promise.all([
      node(tmp, SENDER, 'attacked', load, timeoutMs),
      node(tmp, ATTACKER, 'attacker', { base, userId: victim.userId, attempts: opts.attempts, concurrency: opts.attackers }, timeoutMs),
    ]);
    if (child.exitCode !== null) throw new Error(`the gateway exited during the run:\n${tail(log)}`);

    const result = verdict(baseline, attacked);
    const codes = Object.entries(attack.statuses)
      .map(([s, n]) => `${fmtInt(n)}× ${s}`)
      .join(', ');
    const line =
      `abuse: ${fmtInt(opts.attempts)} wrong passwords (${codes}, ${fmtInt(opts.attempts / attack.seconds)}/s);` +
      ` the other user's p99 ${fmtMs(baseline.acceptP99)} → ${fmtMs(attacked.acceptP99)} (${result}),` +
      ` p50 ${fmtMs(baseline.acceptP50)} → ${fmtMs(attacked.acceptP50)}, non-2xx ${attacked.non2xx}`;
    console.log(line);
    if (opts.write) {
      const { begin, end } = markers('abuse');
      const m = machine();
      writeSection(
        'abuse',
        `${begin}
### Latest run

${machineLines(m, `node bench/abuse.mjs --rate ${opts.rate} --duration ${opts.duration} --attempts ${opts.attempts} --attackers ${opts.attackers} --write`)}

| | sends/s | p50 | p99 | max | non-2xx | errors |
|---|---:|---:|---:|---:|---:|---:|
| normal user alone | ${fmtInt(baseline.achievedRate)} | ${fmtMs(baseline.acceptP50)} | ${fmtMs(baseline.acceptP99)} | ${fmtMs(baseline.acceptMax)} | ${baseline.non2xx} | ${baseline.errors} |
| normal user under attack | ${fmtInt(attacked.achievedRate)} | ${fmtMs(attacked.acceptP50)} | ${fmtMs(attacked.acceptP99)} | ${fmtMs(attacked.acceptMax)} | ${attacked.non2xx} | ${attacked.errors} |

The attacker: ${fmtInt(opts.attempts)} sends with wrong tokens for the victim's user_id over ${opts.attackers}
connections, answered ${codes} in ${attack.seconds.toFixed(1)} s. After the 10th failure every guess
is refused with 429 before any token is hashed or looked up, and held back 500 ms
(\`CONNEXA_AUTH_LOCKOUT_DELAY_MS\`): the guesser's connections mostly wait instead of costing the server work.

\`${line}\`
${end}`,
      );
      console.log('wrote docs/BENCHMARKS.md');
    }
    if (result !== 'unaffected') process.exitCode = 1;
  } finally {
    await stop(child);
  }
}

main()
  .catch((err) => {
    console.error(`abuse bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
