// What the bench database's PostgreSQL backends do during the cluster
// benchmark's measured run: a pg_stat_activity sampler, the mean of its
// results over runs, and their text for the console and docs/BENCHMARKS.md.
import { sleep } from './processes.mjs';

/**
 * Samples pg_stat_activity of the bench database every intervalMs until
 * stop(), which returns the mean number of backends per label ("idle",
 * "active on CPU", "Lock:transactionid", "IO:WALSync", ...), most first.
 */
export function startActivitySampler(postgres, name, intervalMs = 250) {
  const totals = new Map();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const label of await postgres.activity(name)) totals.set(label, (totals.get(label) ?? 0) + 1);
        samples++;
      } catch {
        /* a missed sample */
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Object.fromEntries([...totals].map(([label, n]) => [label, n / Math.max(1, samples)]).sort((a, b) => b[1] - a[1]));
    },
  };
}

/** The mean over runs of each activity label's mean, most first. */
export function meanActivity(list) {
  const totals = new Map();
  for (const a of list) for (const [label, n] of Object.entries(a)) totals.set(label, (totals.get(label) ?? 0) + n / list.length);
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]));
}

export const fmtActivity = (activity) =>
  activity === undefined
    ? '–'
    : Object.entries(activity)
        .filter(([, n]) => n >= 0.05)
        .map(([label, n]) => `${label} ${n.toFixed(1)}`)
        .join(', ');
