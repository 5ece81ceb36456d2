import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on every Linux we run on). */
const HZ = 100;

/** The fields after the command name of /proc/PID/stat (the name may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of one process in seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  return (Number(f[11]) + Number(f[12])) / HZ;
}

/** Resident memory of one process in bytes (VmRSS); 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Read and write syscalls of one process so far (`syscr`, `syscw` of /proc/PID/io); 0 when it is gone. */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    const reads = /syscr:\s+(\d+)/.exec(io);
    const writes = /syscw:\s+(\d+)/.exec(io);
    return { reads: reads ? Number(reads[1]) : 0, writes: writes ? Number(writes[1]) : 0 };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

/** `pid` and all its descendants (nginx's workers, a hub's worker processes). */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) parent.set(Number(name), Number(f[1]));
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, p] of parent) if (p === out[i]) out.push(child);
  }
  return out;
}

/** CPU seconds, RSS bytes and write syscalls summed over a process tree. */
export function treeUsage(pid: number): { cpu: number; rss: number; pids: number; writes: number } {
  const pids = processTree(pid);
  let cpu = 0;
  let rss = 0;
  let writes = 0;
  for (const p of pids) {
    cpu += cpuSeconds(p);
    rss += rssBytes(p);
    writes += syscalls(p).writes;
  }
  return { cpu, rss, pids: pids.length, writes };
}

/** The 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
