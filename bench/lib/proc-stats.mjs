// What a process has used so far, from /proc (Linux): CPU time (user + system, ms)
// and bytes written (write syscalls, `wchar`). Undefined where there is no /proc.
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function procStats(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return {
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      writtenBytes: Number(io.match(/^wchar:\s*(\d+)/m)?.[1] ?? Number.NaN),
    };
  } catch {
    return undefined;
  }
}
