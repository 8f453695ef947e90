// Reads the V8 CPU profile that `node --cpu-prof` wrote when a process exited (the server, the
// simulator), and sums the self time of each function: where that process spends its CPU.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_DIR } from './server.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, as `monotonicMicros` reads it in any process. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of a run, in microseconds of the monotonic clock: the samples of one scenario. */
export interface Window {
  fromUs: number;
  toUs: number;
}

export interface Frame {
  frame: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Wall time the profile (or its window) covers, busy or idle. */
  spanMs: number;
  top: Frame[];
}

const TOP = 15;

/** The clock V8's profiles are stamped with (CLOCK_MONOTONIC on Linux), shared by every process. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Self time per function, over the whole profile or only the samples within `window`. */
export function summariseProfile(dir: string, window?: Window): ProfileSummary {
  // A process run through tsx also profiles its loader's thread: the main thread's is the largest.
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  const file = files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const nameOf = new Map(profile.nodes.map((node) => [node.id, frameName(node)]));
  const selfUs = new Map<string, number>();
  // Shares are of the time the server was busy: idle samples are left out of the total.
  let totalUs = 0;
  let at = profile.startTime;
  let spanUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    spanUs += delta;
    const name = nameOf.get(id) ?? '(unknown)';
    if (name === '(idle)') return;
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
    totalUs += delta;
  });
  const top = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 1000), percent: Math.round((us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), spanMs: Math.round(spanUs / 1000), top };
}

function frameName({ callFrame }: ProfileNode): string {
  const fn = callFrame.functionName || '(anonymous)';
  if (!callFrame.url) return fn;
  const path = callFrame.url.startsWith('file://') ? relative(PROJECT_DIR, new URL(callFrame.url).pathname) : callFrame.url;
  return `${fn} ${path}:${callFrame.lineNumber + 1}`;
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = ['| self ms | % of busy time | frame |', '|---:|---:|---|'];
  for (const frame of summary.top) lines.push(`| ${frame.selfMs} | ${frame.percent} | \`${frame.frame.replace(/\|/g, '\\|')}\` |`);
  return lines.join('\n');
}
