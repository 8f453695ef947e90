/**
 * Settings of the local runtime's sandbox: how jobs are isolated from the server and from each
 * other, and what each may use of the machine. Kept apart so the sandbox's knobs read together.
 */

import { SIZE_UNITS } from '../common/quantity.js';
import { integer, type RawValue, type Setting } from './parsers.js';

export const ISOLATION_MODES = ['sandbox', 'off'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export interface UidRange {
  first: number;
  last: number;
}

/** Kubernetes' size suffixes, and `K`, which people write for kilobytes. */
const MEMORY_UNITS: Record<string, number> = { ...SIZE_UNITS, K: 1e3 };

/** `512Mi`, `2Gi`, `1.5G`, plain bytes, or `off` (undefined: no limit). Answers bytes. */
export function memorySize(raw: RawValue): number | undefined {
  const text = String(raw).trim();
  if (text === 'off') return undefined;
  const match = /^(\d+(?:\.\d+)?)(|k|K|M|G|T|Ki|Mi|Gi|Ti)$/.exec(text);
  const bytes = match ? Math.floor(Number(match[1]) * (MEMORY_UNITS[match[2] as string] as number)) : NaN;
  // Less than 32 MiB cannot even start Node or Python: it is a typo, not a limit.
  if (!Number.isFinite(bytes) || bytes < 32 * 2 ** 20) throw new Error(`must be a size of at least 32Mi such as 512Mi or 4Gi, or off, got ${JSON.stringify(raw)}`);
  return bytes;
}

/** `1`, `0.5`, `4`: CPUs a job may use at once, or `off`. */
function cpuCount(raw: RawValue): number | undefined {
  const text = String(raw).trim();
  if (text === 'off') return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < 0.01 || value > 1024) throw new Error(`must be a number of CPUs such as 0.5, 1 or 4, or off, got ${JSON.stringify(raw)}`);
  return value;
}

/** `524288-589823`: user ids handed to jobs, one per running job. */
function uidRange(raw: RawValue): UidRange {
  const text = String(raw).trim();
  const match = /^(\d+)-(\d+)$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  // Below 1000 are system accounts; 2^32-1 is (uid_t)-1, "no user".
  if (!match || first < 1000 || last > 4294967294 || first > last) {
    throw new Error(`must be a range of user ids FIRST-LAST from 1000 to 4294967294, got ${JSON.stringify(raw)}`);
  }
  if (first <= 65534 && last >= 65534) throw new Error(`must not include 65534 (nobody), got ${JSON.stringify(raw)}`);
  return { first, last };
}

function isolationMode(raw: RawValue): IsolationMode {
  const text = String(raw).trim();
  if (!(ISOLATION_MODES as readonly string[]).includes(text)) throw new Error(`must be sandbox or off, got ${JSON.stringify(raw)}`);
  return text as IsolationMode;
}

/** `auto` (undefined: from the machine's memory) or a count. */
function maxJobs(raw: RawValue): number | undefined {
  return String(raw).trim() === 'auto' ? undefined : integer(1, 100_000)(raw);
}

export const localSettings = {
  localIsolation: {
    env: 'CLASSLAB_LOCAL_ISOLATION',
    description: 'sandbox: every local job runs in a bubblewrap sandbox under a user id of its own; off: jobs run as the server (only for one person on their own machine)',
    default: 'sandbox' as IsolationMode,
    parse: isolationMode,
  } satisfies Setting<IsolationMode>,
  localUids: {
    env: 'CLASSLAB_LOCAL_UIDS',
    description: 'user ids handed to sandboxed local jobs, FIRST-LAST; none may belong to a real account',
    default: { first: 524288, last: 589823 } as UidRange,
    parse: uidRange,
  } satisfies Setting<UidRange>,
  localJobMemory: {
    env: 'CLASSLAB_LOCAL_JOB_MEMORY',
    description: 'memory a local job may use (512Mi, 4Gi, or off); a job over it is killed and Failed',
    default: 2 * 2 ** 30 as number | undefined,
    parse: memorySize,
  } satisfies Setting<number | undefined>,
  localJobCpus: {
    env: 'CLASSLAB_LOCAL_JOB_CPUS',
    description: 'CPUs a local job may use at once (0.5, 2, or off); enforced where cgroups are writable',
    default: 2 as number | undefined,
    parse: cpuCount,
  } satisfies Setting<number | undefined>,
  localJobProcesses: {
    env: 'CLASSLAB_LOCAL_JOB_PROCESSES',
    description: 'processes and threads a local job may run at once',
    default: 1024,
    parse: integer(16, 1_000_000),
  } satisfies Setting<number>,
  localMaxJobs: {
    env: 'CLASSLAB_LOCAL_MAX_JOBS',
    description: 'local jobs this machine runs at once; auto: as many as its memory holds at CLASSLAB_LOCAL_JOB_MEMORY each, at most 8 per core',
    default: undefined as number | undefined,
    parse: maxJobs,
  } satisfies Setting<number | undefined>,
};
