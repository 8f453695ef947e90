// A burst of students launching one course, each following their job's event stream until it is
// Ready: the shape of the first minutes of a lecture (T3 on the simulator, T7 on the local runtime).
import { send } from './http-client.js';
import type { Account } from './seed.js';
import { quantile } from './stats.js';
import { JobStream } from './streams.js';

export interface LaunchedJob {
  id: string;
  token: string;
  callMs: number;
  /** performance.now() when its stream said Ready; undefined if it did not within the budget. */
  readyAt: number | undefined;
}

export interface Burst {
  jobs: LaunchedJob[];
  jobIds: string[];
  tokens: string[];
  /** Launch calls answered other than 200 (429, 500…), with the first such answer. */
  refused: number;
  firstRefusal: string | undefined;
  launchP95Ms: number;
  /** From the first launch call to the last job Ready. */
  allReadyMs: number;
  ready: number;
  /** Jobs Ready per second over allReadyMs. */
  launchesPerSecond: number;
  startedAt: number;
  /** Size of a launch answer, for the ceiling. */
  answerBytes: number;
  /** Students that got no launch in, because the budget ran out first. */
  notAttempted: number;
}

export async function launchBurst(
  url: string,
  courseId: string,
  students: readonly Account[],
  options: { concurrency: number; budgetMs: number; readyGraceMs?: number },
): Promise<Burst> {
  const startedAt = performance.now();
  const deadline = startedAt + options.budgetMs;
  const readyDeadline = deadline + (options.readyGraceMs ?? 5_000);
  const jobs: LaunchedJob[] = [];
  /** Every launch call's time, answered or not: a call cut off at the budget counts with the time it had. */
  const callTimes: number[] = [];
  const readiness: Promise<void>[] = [];
  let refused = 0;
  let firstRefusal: string | undefined;
  let next = 0;
  let answerBytes = 0;
  const worker = async () => {
    while (next < students.length && performance.now() < deadline) {
      const student = students[next++] as Account;
      const began = performance.now();
      const call = { method: 'POST', path: '/v1/course/launch', token: student.token, body: { course_id: courseId, user: student.name } } as const;
      // A launch still unanswered when the budget and its grace are spent counts as refused.
      const answer = await send(url, call, Math.max(1, readyDeadline - began)).catch((error: Error) => ({ status: 0, bytes: 0, text: error.message }));
      const callMs = performance.now() - began;
      callTimes.push(callMs);
      if (answer.status !== 200) {
        refused += 1;
        firstRefusal ??= answer.status ? `${answer.status} ${answer.text.slice(0, 200)}` : answer.text;
        continue;
      }
      answerBytes ||= answer.bytes;
      const job: LaunchedJob = { id: (JSON.parse(answer.text) as { job: { job_id: string } }).job.job_id, token: student.token, callMs, readyAt: undefined };
      jobs.push(job);
      readiness.push(followUntilReady(url, job, readyDeadline));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  await Promise.all(readiness);
  const readyTimes = jobs.map((job) => job.readyAt).filter((at): at is number => at !== undefined);
  const lastReady = readyTimes.length > 0 ? Math.max(...readyTimes) : performance.now();
  const allReadyMs = lastReady - startedAt;
  return {
    jobs,
    jobIds: jobs.map((job) => job.id),
    tokens: jobs.map((job) => job.token),
    refused,
    firstRefusal,
    launchP95Ms: quantile(callTimes, 0.95),
    allReadyMs,
    ready: readyTimes.length,
    launchesPerSecond: allReadyMs > 0 ? (readyTimes.length * 1000) / allReadyMs : 0,
    startedAt,
    answerBytes,
    notAttempted: students.length - next,
  };
}

async function followUntilReady(url: string, job: LaunchedJob, deadline: number): Promise<void> {
  const stream = new JobStream(url, job.id, job.token);
  try {
    await stream.opened;
    const ready = await stream.waitFor('Ready', 0, Math.max(1, deadline - performance.now()));
    job.readyAt = ready?.at;
  } catch {
    // A stream that failed to open leaves the job not Ready: counted, not thrown.
  } finally {
    stream.close();
  }
}
