import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded ledgers' anvil processes, seen from outside the service: each chain's pid file
 * (DATA_DIR/chains/<chain>/anvil.pid, written by startEmbeddedLedgers) holds "<anvil pid> <service pid>".
 */
export function anvilPidFile(dataDir: string, chain: string): string {
  return join(dataDir, 'chains', chain, 'anvil.pid');
}

/** The anvil pid of one embedded chain under `dataDir`. */
export function readAnvilPid(dataDir: string, chain: string): number {
  return Number(readFileSync(anvilPidFile(dataDir, chain), 'utf8').trim().split(/\s+/)[0]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited process whose new parent (a subreaper that does not wait) has not reaped it is a
  // zombie: it still answers signal 0, but it is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
