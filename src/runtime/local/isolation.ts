/**
 * Whether this machine can sandbox local jobs, found once at start. When it cannot, the server
 * still serves sign-in and the catalog, but refuses every local launch with what is missing and
 * how to install it: it never falls back to running students' code unsandboxed by itself.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { IsolationMode } from '../../config/local-settings.js';
import { resolveCommand } from './host-paths.js';
import { dropPrivileges, type SandboxPrograms } from './sandbox.js';

export type Isolation =
  | { mode: 'sandbox'; programs: SandboxPrograms }
  | { mode: 'off' }
  /** `problem` is one line: what is missing, and how to get it. */
  | { mode: 'unavailable'; problem: string };

const INSTALL_HINT = 'install it with `apt-get install bubblewrap` (Debian, Ubuntu) or `dnf install bubblewrap` (Fedora)';
const OFF_HINT = 'CLASSLAB_LOCAL_ISOLATION=off runs jobs unsandboxed, for one person on their own machine only';
const TRIAL_TIMEOUT_MS = 10_000;

export interface IsolationCheck {
  mode: IsolationMode;
  /** A user id of the configured range, to try the drop to. */
  trialUid: number;
  pathVariable?: string | undefined;
  /** The effective user id; only root can give jobs user ids of their own. */
  euid?: number | undefined;
}

export async function checkIsolation(check: IsolationCheck): Promise<Isolation> {
  if (check.mode === 'off') return { mode: 'off' };
  const path = check.pathVariable ?? process.env.PATH;
  const bwrap = resolveCommand('bwrap', path);
  if (!bwrap) return unavailable(`bubblewrap (bwrap) is not installed: ${INSTALL_HINT}`);
  const setpriv = resolveCommand('setpriv', path);
  if (!setpriv) return unavailable('setpriv is not installed: install it with `apt-get install util-linux`');
  const euid = check.euid ?? process.geteuid?.();
  if (euid !== 0) {
    return unavailable(`the server runs as user id ${euid ?? 'unknown'}, not root, so it cannot give jobs user ids of their own (CLASSLAB_LOCAL_UIDS); start it as root`);
  }
  const trueCommand = resolveCommand('true', path) ?? '/bin/true';
  const trial = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--', ...dropPrivileges(setpriv, check.trialUid), trueCommand];
  try {
    await promisify(execFile)(bwrap, trial, { timeout: TRIAL_TIMEOUT_MS, env: { PATH: path ?? '' } });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    const detail = stderr.split('\n').at(-1) || (error as Error).message;
    return unavailable(`bubblewrap cannot make a sandbox on this machine (${detail}); it needs PID and mount namespaces, which some containers forbid`);
  }
  const prlimit = resolveCommand('prlimit', path);
  return { mode: 'sandbox', programs: { bwrap, setpriv, ...(prlimit ? { prlimit } : {}) } };
}

function unavailable(problem: string): Isolation {
  return { mode: 'unavailable', problem: `local jobs cannot be sandboxed: ${problem}; until then every launch is refused (${OFF_HINT})` };
}
