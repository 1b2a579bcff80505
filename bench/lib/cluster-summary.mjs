// The cluster benchmark's summary over rounds: per configuration the medians
// of throughput, latency, CPU and PostgreSQL activity, the errors summed, the
// ratio to pg-1, and the verdict.
import { CONFIGS } from './cluster-config.mjs';
import { median, sum } from './cluster-format.mjs';
import { verdict } from './cluster-verdict.mjs';
import { meanActivity } from './pg-activity.mjs';

/** Returns { rows: one per configuration, in CONFIGS order; verdict }. */
export function summarizeAll(runs, nproc) {
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
  return { rows, verdict: verdict(rows, nproc) };
}
