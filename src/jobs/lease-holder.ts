/**
 * Who holds a lease, written so that a server restarted on the same machine can tell that the
 * holder before it is dead: after `kill -9` the lease would otherwise stay with the dead process
 * until it expires, and nothing is reconciled meanwhile.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { currentProcessStamp, isProcessRunning, pidSpace, type ProcessStamp } from '../common/process-identity.js';

const SEPARATOR = '|';

/** `host|pid space|pid|start time|random`: readable in the table, unique per server life. */
export function ownLeaseHolder(): string {
  return leaseHolderOf(currentProcessStamp());
}

export function leaseHolderOf(process: ProcessStamp): string {
  return [hostname(), pidSpace() ?? '', process.pid, process.startTime ?? '', randomUUID()].join(SEPARATOR);
}

/**
 * True only when the holder ran where this process sees the same pids, and that process no
 * longer runs. Anything else (another machine, another container, an older format) is left to
 * expire.
 */
export function isDeadHolderNearby(holder: string): boolean {
  const [host, space, pid, startTime, id, ...rest] = holder.split(SEPARATOR);
  if (id === undefined || rest.length > 0 || !space || !startTime) return false;
  if (host !== hostname() || space !== pidSpace()) return false;
  const pidNumber = Number.parseInt(pid ?? '', 10);
  if (!Number.isSafeInteger(pidNumber) || pidNumber <= 0) return false;
  return !isProcessRunning({ pid: pidNumber, startTime });
}
