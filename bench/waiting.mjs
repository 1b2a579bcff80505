#!/usr/bin/env node
// Waiting costs nothing: messages of WhatsApp numbers that are not linked wait
// `queued` without the gateway working on them. The built gateway (dist/main.js,
// SQLite) gets --instances unlinked `baileys` instances with --per messages each;
// once they are parked, its CPU time and bytes written are read from /proc over
// --seconds, and compared with the same gateway holding no messages at all.
// Every message must still be `queued` with `attempts: 0` at the end.
//
//   node bench/waiting.mjs [--instances 100] [--per 10] [--seconds 10] [--write]
import { parseCli } from './lib/cli.mjs';
import { startBuiltGateway } from './lib/gateway.mjs';
import { api, basicAuth, fmtInt, machineLines, mapLimit, markers, writeSection } from './lib/pressure.mjs';
import { cleanup, sleep, stop } from './lib/processes.mjs';
import { procStats } from './lib/proc-stats.mjs';
import { machine } from './lib/report.mjs';

const USAGE = `Usage: node bench/waiting.mjs [--instances 100] [--per 10] [--seconds 10] [--write]

  --instances N  unlinked baileys instances (default 100)
  --per N        messages sent to each (default 10)
  --seconds N    how long each reading lasts (default 10)
  --write        rewrite the waiting section of docs/BENCHMARKS.md`;

async function baileysTenant(base, adminToken, name) {
  const admin = `Bearer ${adminToken}`;
  const user = await api(base, 'POST', '/api/v1/admin/users', { auth: admin, body: { name } });
  const inst = await api(base, 'POST', `/api/v1/admin/users/${user.json.user_id}/instances`, { auth: admin, body: { name, engine: 'baileys' } });
  if (inst.status !== 201) throw new Error(`creating a baileys instance answered HTTP ${inst.status}: ${inst.text.slice(0, 300)}`);
  return { auth: basicAuth(user.json.user_id, inst.json.instance_token) };
}

/** CPU ms and bytes written by the gateway over `seconds`. */
async function reading(pid, seconds) {
  const before = procStats(pid);
  await sleep(seconds * 1000);
  const after = procStats(pid);
  if (before === undefined || after === undefined) throw new Error('this bench reads /proc (Linux only)');
  return { cpuPct: (100 * (after.cpuMs - before.cpuMs)) / (seconds * 1000), writtenPerS: (after.writtenBytes - before.writtenBytes) / seconds };
}

async function main() {
  const opts = parseCli(USAGE, { instances: [100, 1, 10_000], per: [10, 1, 1_000], seconds: [10, 2, 600] });
  const { env, base, child } = await startBuiltGateway();
  try {
    const tenants = await mapLimit(
      Array.from({ length: opts.instances }, (_, i) => i),
      8,
      (i) => baileysTenant(base, env.CONNEXA_ADMIN_TOKEN, `wait-${i}`),
    );
    await sleep(2000);
    console.log(`waiting: the gateway with ${opts.instances} unlinked instances and no messages, ${opts.seconds} s…`);
    const empty = await reading(child.pid, opts.seconds);

    const ids = await mapLimit(
      tenants.flatMap((t) => Array.from({ length: opts.per }, () => t)),
      16,
      async (t) => {
        const r = await api(base, 'POST', '/api/v1/message/text', { auth: t.auth, body: { phone: '554499999999', data: { text: 'waiting' } } });
        if (r.status !== 200) throw new Error(`send answered HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        return { auth: t.auth, id: r.json.message_id };
      },
    );
    await sleep(3000); // every instance's first lane is tried once, then parked
    console.log(`waiting: ${fmtInt(ids.length)} messages waiting, ${opts.seconds} s…`);
    const waiting = await reading(child.pid, opts.seconds);

    const statuses = await mapLimit(ids, 16, async ({ auth, id }) => (await api(base, 'GET', `/api/v1/message/${id}`, { auth })).json);
    const stillWaiting = statuses.filter((s) => s.status === 'queued' && s.attempts === 0).length;
    const line =
      `waiting: ${fmtInt(ids.length)} messages over ${opts.instances} unlinked instances: CPU ${empty.cpuPct.toFixed(2)}% → ${waiting.cpuPct.toFixed(2)}%,` +
      ` written ${fmtInt(empty.writtenPerS)} → ${fmtInt(waiting.writtenPerS)} B/s; ${fmtInt(stillWaiting)} of ${fmtInt(ids.length)} still queued with 0 attempts`;
    console.log(line);
    if (opts.write) {
      const { begin, end } = markers('waiting');
      writeSection(
        'waiting',
        `${begin}
### Waiting messages cost nothing

${machineLines(machine(), `node bench/waiting.mjs --instances ${opts.instances} --per ${opts.per} --seconds ${opts.seconds} --write`)}

| the gateway with ${opts.instances} unlinked baileys instances | CPU (% of a core) | bytes written /s |
|---|---:|---:|
| no messages | ${empty.cpuPct.toFixed(2)} | ${fmtInt(empty.writtenPerS)} |
| ${fmtInt(ids.length)} messages waiting for their numbers | ${waiting.cpuPct.toFixed(2)} | ${fmtInt(waiting.writtenPerS)} |

Read from /proc over ${opts.seconds} s each, after the waiting instances were parked (their lanes are left
out of the dispatcher's claims until the number connects; the poll still runs once a second).
At the end ${fmtInt(stillWaiting)} of ${fmtInt(ids.length)} messages were \`queued\` with \`attempts: 0\`.

\`${line}\`
${end}`,
      );
      console.log('wrote docs/BENCHMARKS.md');
    }
    if (stillWaiting !== ids.length) process.exitCode = 1;
  } finally {
    await stop(child);
  }
}

main()
  .catch((err) => {
    console.error(`waiting bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
