// CPU use by group of processes over a time window, from /proc (Linux): each
// process's utime + stime (/proc/PID/stat) and the machine's busy time
// (/proc/stat), sampled every intervalMs so that processes which appear during
// the window (wrk, new PostgreSQL backends) are counted from zero and those
// which exit keep what they had used when last seen. Results are in cores busy
// (CPU seconds per second). Without /proc every figure is NaN.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const CLK_TCK = 100; // USER_HZ is 100 on Linux

/** {pid, ppid, comm, ticks} of a process, or undefined once it has gone. */
function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** The command line of a process (arguments joined by spaces), '' once it has gone. */
export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function listPids() {
  try {
    return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/** Busy, niced (part of busy: processes with nice > 0) and total ticks of all CPUs together (first line of /proc/stat). */
function machineTicks() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + irq + softirq + (steal ?? 0);
    return { busy, nice, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

/**
 * Starts sampling. `classify(proc)` names the group of a process ({pid, ppid,
 * comm}) or returns undefined for processes not counted; it is asked again at
 * every sample (a PostgreSQL backend sets its title after it starts). stop()
 * takes a last sample and returns { elapsedS, groups: {name: cores},
 * machine: cores busy machine-wide, niced: the part of it spent in processes
 * with nice > 0 (background work that yields the CPU to normal processes) }.
 */
export function startCpuSampler(classify, intervalMs = 250) {
  const seen = new Map(); // pid -> { group, base, last }
  const started = performance.now();
  const machine0 = machineTicks();
  let first = true;
  const sample = () => {
    for (const name of listPids()) {
      const proc = readStat(Number(name));
      if (proc === undefined) continue;
      let entry = seen.get(proc.pid);
      if (entry === undefined) {
        // Running before the window: count from now; started during it: from zero.
        entry = { group: undefined, base: first ? proc.ticks : 0, last: proc.ticks };
        seen.set(proc.pid, entry);
      }
      entry.last = proc.ticks;
      const group = classify(proc);
      if (group !== undefined) entry.group = group;
    }
    first = false;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const elapsedS = (performance.now() - started) / 1000;
      const machine1 = machineTicks();
      const groups = {};
      for (const { group, base, last } of seen.values()) {
        if (group === undefined) continue;
        groups[group] = (groups[group] ?? 0) + Math.max(0, last - base) / CLK_TCK / elapsedS;
      }
      // /proc/stat counts all CPUs: busy ticks over the window / (seconds × ticks per second) = cores busy.
      const rate = (key) => (machine0 === undefined || machine1 === undefined ? Number.NaN : (machine1[key] - machine0[key]) / CLK_TCK / elapsedS);
      return { elapsedS, groups, machine: rate('busy'), niced: rate('nice') };
    },
  };
}
