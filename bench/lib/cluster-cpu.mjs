// CPU of the cluster benchmark's measured run by group: which group a process
// counts to (the PostgreSQL server with the bench database's backends, each
// node, wrk) for the CPU sampler, and the cores each group, the rest of the
// machine and its niced part used.
import os from 'node:os';
import { cmdline } from './cpu-sampler.mjs';
import { sum } from './cluster-format.mjs';

/** Which group a process's CPU time counts to during the measured run. */
export function classifier(nodes, dbName) {
  const byPid = new Map(nodes.map((n) => [n.child.pid, `node:${n.id}`]));
  return (proc) => {
    const node = byPid.get(proc.pid);
    if (node !== undefined) return node;
    if (proc.comm === 'wrk' && proc.ppid === process.pid) return 'wrk';
    if (proc.comm !== 'postgres') return undefined;
    // Backends are titled "postgres: [cluster: ]USER DATABASE HOST(PORT) ACTIVITY"; other
    // databases' backends (e.g. a test run on the same server) are not this benchmark's load.
    const m = /^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(cmdline(proc.pid));
    return m === null || m[1] === dbName ? 'postgres' : 'postgres-other';
  };
}

/** Cores busy per group from the sampler's result: PostgreSQL, the nodes (each), wrk, the rest and its niced part, the machine. */
export function cpuBreakdown(cpu, nodes) {
  const nodeCpu = nodes.map((n) => cpu.groups[`node:${n.id}`] ?? 0);
  const ours = (cpu.groups.postgres ?? 0) + sum(nodeCpu) + (cpu.groups.wrk ?? 0);
  const other = Math.max(0, cpu.machine - ours);
  // Niced background work yields the cores to normal processes; ours are niced too when this script is.
  const niced = Math.min(other, Math.max(0, os.getPriority() > 0 ? cpu.niced - ours : cpu.niced));
  return {
    postgres: cpu.groups.postgres ?? 0,
    postgresOther: cpu.groups['postgres-other'] ?? 0,
    nodes: sum(nodeCpu),
    perNode: nodeCpu,
    wrk: cpu.groups.wrk ?? 0,
    other,
    niced,
    machine: cpu.machine,
  };
}
