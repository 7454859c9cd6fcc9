/** Per-process CPU and memory figures from Linux /proc, for processes the bench started. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const KIB = 1_024;
/** /proc/<pid>/stat fields (1-based, man 5 proc): 4 ppid, 14 utime, 15 stime. */
const STAT_PPID = 4;
const STAT_UTIME = 14;
const STAT_STIME = 15;
/** `echo 5 > /proc/<pid>/clear_refs` resets the peak resident set size (VmHWM), man 5 proc. */
const CLEAR_PEAK_RSS = '5';

let clockTicksPerSecond: number | null = null;

function ticksPerSecond(): number {
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return clockTicksPerSecond;
}

/** Fields of /proc/<pid>/stat, split after the command name (which may hold spaces). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state).
  return ['', String(pid), '', ...afterName];
}

/** User + system CPU time the process has used so far, in ms. */
export function cpuTimeMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[STAT_UTIME]) + Number(fields[STAT_STIME])) / ticksPerSecond()) * 1000;
}

/** Processes whose parent is `parentPid` and whose command name is `name` (e.g. the anvil chains). */
export function childProcesses(parentPid: number, name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const pid = Number(entry);
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) continue;
      if (Number(statFields(pid)[STAT_PPID]) === parentPid) pids.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** CPU used by each of `pids` while `work` ran, as a share of one core (1 = one core busy). */
export async function cpuShareDuring<T>(
  pids: readonly number[],
  work: () => Promise<T>,
): Promise<{ value: T; shares: number[] }> {
  const before = pids.map(cpuTimeMs);
  const start = Date.now();
  const value = await work();
  const elapsedMs = Date.now() - start;
  return { value, shares: pids.map((pid, i) => (cpuTimeMs(pid) - before[i]) / elapsedMs) };
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
export function residentSet(pid: number): { rssBytes: number; peakBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * KIB;
  };
  return { rssBytes: field('VmRSS'), peakBytes: field('VmHWM') };
}

/** Resets VmHWM to the current RSS, so the next peak is measured from here. */
export function resetPeakResidentSet(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, CLEAR_PEAK_RSS);
}
