import { sameUserName } from '../../src/common/account-rules.js';
import type { Answer, CallOptions, TestUser } from '../support/platform.js';
import type { Operation } from './routes.js';
import { leakedSecrets, type World } from './world.js';

/** Longer than any request here needs: a request still unanswered after it was dropped. */
const NO_ANSWER_MS = 20_000;

export type Listener = 'api' | 'identity';

export interface Probe {
  listener: Listener;
  operation: Operation;
  url: string;
  /** Who sends it; undefined for no token or a token that is no good. */
  caller: TestUser | undefined;
  options: CallOptions;
}

/** Sends the probe, or says that no answer came. */
export async function send(world: World, probe: Probe): Promise<Answer | 'no answer'> {
  const call = probe.listener === 'api' ? world.platform.call : world.platform.callIdentity;
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<'no answer'>((resolve) => {
    timer = setTimeout(() => resolve('no answer'), NO_ANSWER_MS);
  });
  try {
    return await Promise.race([call(probe.operation.method, probe.url, probe.options), silence]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What is wrong with an answer, if anything: a 5xx, no answer, an error outside the listener's
 * envelope, or something of another user's that this caller may not have.
 */
export function problemsOf(world: World, probe: Probe, answer: Answer | 'no answer'): string[] {
  if (answer === 'no answer') return ['no answer (the request was dropped or hangs)'];
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`answered ${answer.status}`);
  if (probe.listener === 'identity') {
    if (![200, 400, 500].includes(answer.status)) problems.push(`HTTP ${answer.status} is not one of the identity spec's 200, 400, 500`);
    if (typeof answer.body?.status !== 'number' || typeof answer.body?.message !== 'string') problems.push('not in the identity envelope {status, message}');
  } else if (probe.url.startsWith('/v1/') && answer.status >= 400) {
    if (answer.body?.error !== true || typeof answer.body?.message !== 'string') problems.push('not in the v1 envelope {error: true, message}');
  }
  const request = `${probe.url} ${typeof probe.options.body === 'string' ? probe.options.body : JSON.stringify(probe.options.body ?? '')}`;
  const caller = probe.caller;
  if (caller) {
    const leaked = leakedSecrets(world, caller, request, answer.text);
    if (leaked.length > 0) problems.push(`leaked ${leaked.map((secret) => JSON.stringify(secret.slice(0, 12))).join(', ')} to ${caller.name}`);
    if (caller.name !== world.admin.name && answer.status < 300) {
      const othersJob = [...world.jobOf].find(([owner, jobId]) => owner !== caller.name && probe.url.includes(jobId));
      if (othersJob) problems.push(`let ${caller.name} act on ${othersJob[0]}'s job`);
      const named = bodyUser(probe.options.body);
      if (probe.url.startsWith('/v1/') && named !== undefined && !sameUserName(named, caller.name) && isKnownUser(world, named)) {
        problems.push(`let ${caller.name} act as ${named}`);
      }
    }
  }
  return problems;
}

function bodyUser(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const user = (body as Record<string, unknown>).user;
  return typeof user === 'string' ? user : undefined;
}

function isKnownUser(world: World, name: string): boolean {
  return [world.admin, world.victim, world.victimTeacher, world.mallory, world.tess].some((user) => sameUserName(user.name, name));
}

/** One line that says what was sent and what came back, short enough to read in a list. */
export function describeProbe(probe: Probe, answer: Answer | 'no answer', problems: string[]): string {
  const body = probe.options.body === undefined ? '' : typeof probe.options.body === 'string' ? probe.options.body : JSON.stringify(probe.options.body);
  const answered = answer === 'no answer' ? 'no answer' : `${answer.status} ${answer.text.slice(0, 200)}`;
  const headers = JSON.stringify(probe.options.headers ?? {});
  return `${problems.join('; ')}: ${probe.operation.method} ${probe.url} as ${probe.caller?.name ?? 'nobody'} ${headers.slice(0, 120)} body ${JSON.stringify(body.slice(0, 300))}${body.length > 300 ? `… (${body.length} chars)` : ''} -> ${answered}`;
}
