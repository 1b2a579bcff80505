// The cluster benchmark's verdict sentence: how throughput on PostgreSQL
// changed from one node to two and three, and what limited it (CPU, or what
// the bench database's backends waited on), with a caveat when other work at
// normal priority competed for the cores.
import { fmtCores, fmtX, sum } from './cluster-format.mjs';
import { fmtRps } from './report.mjs';

/** Throughput within ±10% of pg-1 counts as "did not change". */
const SAME = 0.1;
/** The machine counts as CPU-bound when at least this share of its cores was busy. */
const CPU_BOUND = 0.9;
/** ... and mostly CPU-bound from this share on (waits elsewhere add to it). */
const CPU_NEARLY = 0.75;
/** Cores used by processes outside the benchmark worth a caveat in the verdict. */
const OTHER_NOTABLE = 0.25;

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

/** The verdict from the medians per configuration (`rows`, each with its ratio to pg-1) on a machine of `nproc` cores. */
export function verdict(rows, nproc) {
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  const base = byLabel['pg-1'].rps;
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
  return (
    `Throughput on PostgreSQL ${growth}: pg-1 ${fmtRps(base)} req/s, pg-2 ${fmtRps(pg2.rps)} (${fmtX(pg2.ratio)}),` +
    ` pg-3 ${fmtRps(pg3.rps)} (${fmtX(pg3.ratio)}); SQLite (one node) ${fmtRps(byLabel.sqlite.rps)} (${fmtX(byLabel.sqlite.ratio)} pg-1);` +
    ` ${limit}.${caveat}`
  );
}
