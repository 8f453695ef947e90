import { eq } from 'drizzle-orm';
import type { Config } from '../../src/config/settings.js';
import { hashToken } from '../../src/identity/tokens.js';
import { tokens } from '../../src/store/schema.js';
import { startTestPlatform, type Answer, type TestPlatform, type TestUser } from '../support/platform.js';

/**
 * A platform with two sides: victims who own things (a teacher's course, a student's job) and
 * callers who must not reach them. Limits on sign-in and registration are raised, so that the
 * suite sees what each route does rather than the limits.
 */
export interface World {
  platform: TestPlatform;
  admin: TestUser;
  /** A student and a teacher whose objects others must not reach. */
  victim: TestUser;
  victimTeacher: TestUser;
  /** Callers: a student and a teacher other than the victims. */
  mallory: TestUser;
  tess: TestUser;
  victimCourseId: string;
  victimJobId: string;
  /** A private classroom of vera's, with victor as its student. */
  victimClassroomId: string;
  /** A job of each caller, so that what belongs to the caller may show in its own answers. */
  jobOf: Map<string, string>;
  /** Tokens of the victims that no test sends anywhere: never to appear in an answer. */
  victimTokens: string[];
  expiredToken: string;
  revokedToken: string;
  /** A second token of mallory's, for bodies that name tokens; it may be revoked by them. */
  spareToken: string;
  close(): Promise<void>;
}

export const RAISED_LIMITS: Partial<Config> = {
  registrationRateLimit: undefined,
  signInFailuresPerUser: 10_000,
  signInFailuresPerAddress: 1_000_000,
  oauthRateLimit: 100_000,
};

export async function openWorld(): Promise<World> {
  const platform = await startTestPlatform({ settings: RAISED_LIMITS });
  const [victim, victimTeacher, mallory, tess] = await Promise.all([
    platform.user('victor', ['student']),
    platform.user('vera', ['teacher']),
    platform.user('mallory', ['student']),
    platform.user('tess', ['teacher']),
  ]);
  const created = await platform.call('POST', '/v1/course/create', {
    token: victimTeacher.token,
    body: { name: "vera's course", image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 },
  });
  const victimCourseId = expectOk(created, 'create the victim course').body.id as string;
  const jobOf = new Map<string, string>();
  // Every user runs a job: it is what another must not see, and it keeps accounts from deletion.
  for (const user of [victim, mallory, tess, platform.admin]) {
    const launched = await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: victimCourseId, user: user.name } });
    jobOf.set(user.name, expectOk(launched, `launch for ${user.name}`).body.job.job_id as string);
  }
  const classroom = await platform.call('POST', '/v1/classroom/create', {
    token: victimTeacher.token,
    body: { name: "vera's class", timeZone: 'Europe/Berlin', courses: [victimCourseId] },
  });
  const victimClassroomId = expectOk(classroom, 'create the victim classroom').body.classroom.id as string;
  const members = await platform.call('POST', `/v1/classroom/${victimClassroomId}/members`, {
    token: victimTeacher.token,
    body: { add: [{ user: victim.name, role: 'student' }] },
  });
  expectOk(members, 'add victor to the victim classroom');
  const identity = platform.services.identity;
  const expiredToken = (await identity.authenticate(victim.name, victim.password)).token;
  await platform.store.db.update(tokens).set({ expiresAt: new Date(Date.now() - 60_000) }).where(eq(tokens.hash, hashToken(expiredToken)));
  const revokedToken = (await identity.authenticate(victim.name, victim.password)).token;
  await identity.invalidate(revokedToken);
  const spareToken = (await identity.authenticate(mallory.name, mallory.password)).token;
  return {
    platform,
    admin: platform.admin,
    victim,
    victimTeacher,
    mallory,
    tess,
    victimCourseId,
    victimJobId: jobOf.get(victim.name) as string,
    victimClassroomId,
    jobOf,
    victimTokens: [victim.token, victimTeacher.token],
    expiredToken,
    revokedToken,
    spareToken,
    close: () => platform.close(),
  };
}

function expectOk(answer: Answer, what: string): Answer {
  if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer;
}

/**
 * What must never reach this caller: other users' job ids (unless the caller is an admin), the
 * victims' tokens and passwords, and any password hash. Strings the request itself carried
 * are left out: echoing the caller's own input back tells it nothing.
 */
export function leakedSecrets(world: World, caller: TestUser, request: string, answer: string): string[] {
  const everyToken = [world.admin, world.mallory, world.tess].map((user) => user.token);
  const secrets = [...world.victimTokens, ...everyToken, world.victim.password, world.victimTeacher.password, world.admin.password, '$argon2'];
  if (caller.name !== world.admin.name) {
    for (const [owner, jobId] of world.jobOf) if (owner !== caller.name) secrets.push(jobId);
  }
  return secrets.filter((secret) => secret !== caller.token && secret !== caller.password && answer.includes(secret) && !request.includes(secret));
}
