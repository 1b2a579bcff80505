// Settings of the cluster benchmark (bench/cluster.mjs) shared by its modules:
// the configurations it compares, the warm-up, the sandbox instances and how
// long it waits for the cluster to form.

export const WARMUP_S = 2;
export const INSTANCES = 30;
export const CLUSTER_WAIT_MS = 30_000;
export const CONFIGS = [
  { label: 'sqlite', nodes: 1, postgres: false },
  { label: 'pg-1', nodes: 1, postgres: true },
  { label: 'pg-2', nodes: 2, postgres: true },
  { label: 'pg-3', nodes: 3, postgres: true },
];
