// bench/cloud.mjs's output: one summary line per run, the verdict against issue 12's
// acceptance line, and its docs/BENCHMARKS.md section (between `<!-- cloud:begin -->`
// and `<!-- cloud:end -->`).
import { fmtInt, machineLines, markers } from './pressure.mjs';

const s1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(1)} s`);
const breakdown = (counts) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${fmtInt(n)}`)
    .join(', ') || 'none';

export const describe = (r) =>
  r.throughput === undefined ? 'throughput left at its default (80): paced' : `throughput ${r.throughput}: Meta's 130429 paces it`;

/** One line per run. */
export function runLine(r) {
  return (
    `cloud ${r.label} (${describe(r)}): ${fmtInt(r.accepted)} accepted, ${fmtInt(r.fakeAccepted)} taken by the fake in ${s1(r.elapsedS)}` +
    ` (${r.rate.toFixed(1)} msg/s); 130429 × ${fmtInt(r.r130429)}, 131056 × ${fmtInt(r.r131056)}; lost ${fmtInt(r.lost)}, duplicates ${fmtInt(r.duplicates)};` +
    ` max ${r.maxAcceptedPerSecond} taken (${r.maxAttemptsPerSecond} tried) in one calendar second; final: ${breakdown(r.statuses)}` +
    (r.acceptRetries[503] + r.acceptRetries['no answer'] > 0
      ? `; accept retried ${r.acceptRetries[503]} × after a 503, ${r.acceptRetries['no answer']} × after no answer`
      : '')
  );
}

/** The calendar seconds over the fake's limit (at most `max` of them), e.g. `second 3: 80 taken of 87`. */
export function busyLine(r, max = 12) {
  if (r.busy.length === 0) return 'no calendar second over 80 sends tried';
  const shown = r.busy.slice(0, max).map((b) => `second ${b.at}: ${b.taken} taken of ${b.tried}`);
  return `${r.busy.length} calendar second(s) over 80 sends tried (second 0: the one of the first accept): ${shown.join('; ')}${r.busy.length > max ? '; …' : ''}`;
}

/** Whether a run meets issue 12's line: every message accepted and sent once, no 130429, none lost. */
export const meets = (r) => r.accepted === r.messages && r.r130429 === 0 && r.lost === 0 && r.duplicates === 0 && r.neverAtFake === 0;

export function verdictLine(a) {
  return (
    `issue 12 (a cloud instance at its throughput limit, fake at 80 msg/s, sends ${fmtInt(a.messages)} messages with no 130429 and no message lost):` +
    ` ${meets(a) ? 'met' : 'NOT met'} by run ${a.label} (130429 × ${fmtInt(a.r130429)}, lost ${fmtInt(a.lost)}, duplicates ${fmtInt(a.duplicates)})`
  );
}

function row(r) {
  return [
    `${r.label}: ${r.throughput === undefined ? 'default (80)' : r.throughput}`,
    fmtInt(r.accepted),
    s1(r.elapsedS),
    r.rate.toFixed(1),
    fmtInt(r.r130429),
    fmtInt(r.r131056),
    fmtInt(r.lost),
    fmtInt(r.duplicates),
    `${r.maxAcceptedPerSecond} (${r.maxAttemptsPerSecond})`,
    s1(r.allSentS),
    breakdown(r.statuses) + (Object.keys(r.failures).length > 0 ? `; failed as ${breakdown(r.failures)}` : ''),
  ].join(' | ');
}

/** The whole section, markers included. */
export function section(runs, m, command, opts) {
  const { begin, end } = markers('cloud');
  const a = runs[0];
  return `${begin}
## Cloud API engine: ${fmtInt(opts.messages)} messages at 80 msg/s

${machineLines(m, command)}

Issue 12: "a \`cloud\` instance at its throughput limit (fake at 80 msg/s) sends 2,000 messages with no
130429 and no message lost". Each run starts the built gateway (\`dist/main.js\`, fresh temp SQLite
database, dispatcher on, default retry settings) and a fresh fake Graph API (\`test/fakes/graph/\`,
compiled at start, in its own process on 127.0.0.1, default limits: 80 sends per calendar second per
number, else 130429; per recipient a bucket of 45 refilled one per 6 s, else 131056). One \`cloud\`
instance points at the fake, whose status webhooks (sent, delivered, read) go to the instance's webhook
URL. ${fmtInt(opts.messages)} texts to ${opts.recipients} recipients (round-robin, each text carrying
its index) are accepted through \`POST /api/v1/message/text\` (${opts.concurrency} requests in flight),
then their statuses are read until each is \`sent\` or later or \`failed\` (≤ ${opts.deadline} s),
then until each is \`read\` (≤ 30 s). The bench client and the fake's webhooks share 127.0.0.1, so
the gateway's per-address connection cap is raised for the run (a burst of statuses alone can hold
~250 connections; Meta's webhooks come from Meta's own addresses).

- **A**: the instance's \`throughput\` left at its default, 80: the engine spaces the number's sends
  (2.5% below 80/s).
- **B**: \`throughput: 1000\`: the engine believes it may go much faster than the fake allows, so
  Meta's 130429 is the control loop (a refused send holds the number back 1 s; the message waits,
  its attempt given back, and goes again after it).

Elapsed: from the first accepted send to the last send the fake took; msg/s: sends the fake took ÷ the
time between its first and last; 130429 / 131056: the fake's refusals, counted in its limit checks;
lost: accepted messages not \`sent\`, \`delivered\` or \`read\` at the end; duplicates: a text the fake
took more than once; max/s: the most sends the fake took (tried) in one calendar second; all sent:
from the first accept until the gateway showed every message \`sent\` or later.

| run: throughput | accepted | elapsed | msg/s | 130429 | 131056 | lost | duplicates | max/s taken (tried) | all sent | final statuses |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
${runs.map((r) => `| ${row(r)} |`).join('\n')}

${runs.map((r) => `- \`${runLine(r)}\``).join('\n')}
${runs.map((r) => `- Run ${r.label}: ${busyLine(r)}`).join('\n')}
${runs.map((r) => `- Run ${r.label}, the gateway's log (warnings and errors): ${r.warnings.length === 0 ? 'none' : r.warnings.map((w) => `${w.count} × \`${w.msg}\``).join('; ')}.`).join('\n')}

**${verdictLine(a)}**
${end}`;
}
