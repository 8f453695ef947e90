import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestUser } from '../support/platform.js';
import { describeProbe, problemsOf, send, type Listener, type Probe } from './probe.js';
import { operationsOf } from './routes.js';
import { openWorld, type World } from './world.js';

/**
 * Every protected route, aimed at a victim's objects, against every kind of token that should not
 * get there: none, malformed, expired, revoked, another user's, and one of the wrong role. Public
 * routes ignore the header. The routes come from the OpenAPI documents, and a protected route
 * with no target here fails the suite, so that a new one is not left out.
 */

type Who = (world: World) => TestUser;
const mallory: Who = (world) => world.mallory;
const tess: Who = (world) => world.tess;

interface Target {
  listener: Listener;
  /** As the OpenAPI document names it: `METHOD /path/{param}`. */
  operation: string;
  url: (world: World) => string;
  body?: (world: World) => unknown;
  /** A valid token of someone else, who must be refused; absent where the route has no owner (health, lists of the platform's). */
  another?: Who;
  /** A valid token whose roles do not allow this. */
  wrongRole?: Who;
}

const vera = (world: World) => world.victimTeacher.name;
const victor = (world: World) => world.victim.name;

const TARGETS: Target[] = [
  { listener: 'api', operation: 'POST /v1/course/list', url: () => '/v1/course/list', body: (w) => ({ user: vera(w) }), another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'POST /v1/course/create', url: () => '/v1/course/create', body: (w) => ({ user: vera(w), name: 'as vera', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 }), another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'DELETE /v1/course/delete/{id}', url: (w) => `/v1/course/delete/${w.victimCourseId}`, another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'DELETE /v1/auth/delete', url: () => '/v1/auth/delete', body: (w) => ({ id: victor(w) }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/health/kubernetesAuth', url: () => '/v1/health/kubernetesAuth' },
  { listener: 'api', operation: 'POST /v1/health/databaseAuth', url: () => '/v1/health/databaseAuth', body: () => ({ message: 'm' }) },
  { listener: 'api', operation: 'POST /v1/course/launch', url: () => '/v1/course/launch', body: (w) => ({ course_id: w.victimCourseId, user: victor(w) }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'POST /v1/job/launch', url: () => '/v1/job/launch', body: (w) => ({ course_id: w.victimCourseId, user: victor(w) }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'POST /v1/job/list', url: () => '/v1/job/list', body: (w) => ({ user: victor(w) }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/job/ready/{jobid}', url: (w) => `/v1/job/ready/${w.victimJobId}`, another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'DELETE /v1/job/delete/{id}', url: (w) => `/v1/job/delete/${w.victimJobId}`, another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'DELETE /v1/job/{user}/{id}', url: (w) => `/v1/job/${victor(w)}/${w.victimJobId}`, another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/job/events/{id}', url: (w) => `/v1/job/events/${w.victimJobId}`, another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'PUT /v1/course/update/{id}', url: (w) => `/v1/course/update/${w.victimCourseId}`, body: () => ({ name: 'hijacked' }), another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'GET /v1/job/all', url: () => '/v1/job/all', another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/user/list', url: () => '/v1/user/list', another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'POST /v1/user/role', url: () => '/v1/user/role', body: (w) => ({ user: w.mallory.name, role: 'admin' }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'DELETE /v1/user/role', url: () => '/v1/user/role', body: (w) => ({ user: victor(w), role: 'student' }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/cluster/nodes', url: () => '/v1/cluster/nodes', another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/volume/home', url: () => '/v1/volume/home' },
  { listener: 'api', operation: 'GET /v1/volume/list', url: () => '/v1/volume/list', another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'PUT /v1/volume/home/{user}', url: (w) => `/v1/volume/home/${victor(w)}`, body: () => ({ capacity: '20Gi' }), another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'DELETE /v1/volume/home/{user}', url: (w) => `/v1/volume/home/${victor(w)}`, another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/datasets', url: () => '/v1/datasets' },
  { listener: 'api', operation: 'GET /v1/images', url: () => '/v1/images' },
  { listener: 'api', operation: 'GET /v1/usage', url: (w) => `/v1/usage?course=${w.victimCourseId}`, another: tess },
  { listener: 'api', operation: 'GET /v1/usage/jobs', url: (w) => `/v1/usage/jobs?user=${victor(w)}`, another: mallory },
  { listener: 'api', operation: 'POST /v1/classroom/create', url: () => '/v1/classroom/create', body: () => ({ name: 'by a student', timeZone: 'UTC' }), another: mallory, wrongRole: mallory },
  { listener: 'api', operation: 'GET /v1/classroom/list', url: () => '/v1/classroom/list' },
  { listener: 'api', operation: 'GET /v1/classroom/list/all', url: () => '/v1/classroom/list/all', another: mallory, wrongRole: tess },
  { listener: 'api', operation: 'GET /v1/classroom/get/{id}', url: (w) => `/v1/classroom/get/${w.victimClassroomId}`, another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'PUT /v1/classroom/update/{id}', url: (w) => `/v1/classroom/update/${w.victimClassroomId}`, body: () => ({ name: 'hijacked' }), another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'DELETE /v1/classroom/delete/{id}', url: (w) => `/v1/classroom/delete/${w.victimClassroomId}?force=true`, another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'POST /v1/classroom/{id}/members', url: (w) => `/v1/classroom/${w.victimClassroomId}/members`, body: (w) => ({ add: [{ user: w.tess.name, role: 'teacher' }], remove: [vera(w)] }), another: tess, wrongRole: mallory },
  // A JSON string is a roster too: the token is refused before the body is read either way.
  { listener: 'api', operation: 'POST /v1/classroom/{id}/members/csv', url: (w) => `/v1/classroom/${w.victimClassroomId}/members/csv`, body: (w) => JSON.stringify(`${w.mallory.name},teacher`), another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'POST /v1/classroom/{id}/join', url: (w) => `/v1/classroom/${w.victimClassroomId}/join`, another: tess, wrongRole: mallory },
  { listener: 'api', operation: 'GET /v1/classroom/{id}/jobs', url: (w) => `/v1/classroom/${w.victimClassroomId}/jobs`, another: tess, wrongRole: mallory },
  { listener: 'identity', operation: 'POST /user/role', url: () => '/user/role', body: (w) => ({ user_name: w.mallory.name, role_name: 'admin' }), another: mallory, wrongRole: tess },
  { listener: 'identity', operation: 'POST /role', url: () => '/role', body: () => ({ role_name: 'hostile-role' }), another: mallory, wrongRole: tess },
  { listener: 'identity', operation: 'DELETE /role', url: () => '/role', body: () => ({ role_name: 'student' }), another: mallory, wrongRole: tess },
];

/** A header that is no good, and how each listener must answer it. */
interface BadHeader {
  kind: string;
  header: (world: World) => string | undefined;
  v1: { status: number; message: string };
  identity: number;
}

const NOT_BEARER = 'Authorization header is not Bearer Token format or token is missing';
const BAD_HEADERS: BadHeader[] = [
  { kind: 'no token', header: () => undefined, v1: { status: 401, message: 'Authorization header is missing' }, identity: 40021 },
  { kind: 'malformed: Basic', header: () => 'Basic dmljdG9yOnZpY3Rvci1wYXNzd29yZA==', v1: { status: 401, message: NOT_BEARER }, identity: 40020 },
  { kind: 'malformed: Bearer alone', header: () => 'Bearer', v1: { status: 401, message: NOT_BEARER }, identity: 40020 },
  { kind: 'malformed: Bearer null', header: () => 'Bearer null', v1: { status: 403, message: 'Invalid API token' }, identity: 40020 },
  { kind: 'malformed: a token cut short', header: (w) => `Bearer ${w.victim.token.slice(0, -2)}`, v1: { status: 403, message: 'Invalid API token' }, identity: 40020 },
  { kind: 'malformed: a token and more', header: (w) => `Bearer ${w.victim.token}x`, v1: { status: 403, message: 'Invalid API token' }, identity: 40020 },
  { kind: 'expired', header: (w) => `Bearer ${w.expiredToken}`, v1: { status: 403, message: 'Access token expired' }, identity: 40019 },
  { kind: 'revoked', header: (w) => `Bearer ${w.revokedToken}`, v1: { status: 403, message: 'Invalid API token' }, identity: 40018 },
];

describe('every protected route against tokens that must not get in', () => {
  let world: World;

  beforeAll(async () => {
    world = await openWorld();
  });
  afterAll(() => world?.close());

  async function attempt(target: Target, caller: TestUser | undefined, authorization: string | undefined): Promise<Answer> {
    const [method, path] = target.operation.split(' ') as [Probe['operation']['method'], string];
    const body = target.body?.(world);
    const probe: Probe = {
      listener: target.listener,
      operation: { method, path, protected: true, form: false },
      url: target.url(world),
      caller,
      options: { ...(authorization === undefined ? {} : { headers: { authorization } }), ...(body === undefined ? {} : { body }) },
    };
    const answer = await send(world, probe);
    const problems = problemsOf(world, probe, answer);
    expect(problems, describeProbe(probe, answer, problems)).toEqual([]);
    return answer as Answer;
  }

  it('has a target for every protected operation of both documents', async () => {
    const documented = [
      ...operationsOf((await world.platform.call('GET', '/docs/json')).body).filter((operation) => operation.protected).map((operation) => `${operation.method} ${operation.path}`),
      ...operationsOf((await world.platform.callIdentity('GET', '/docs/json')).body).filter((operation) => operation.protected).map((operation) => `${operation.method} ${operation.path}`),
    ];
    expect(TARGETS.map((target) => target.operation).sort()).toEqual(documented.sort());
  });

  describe.each(TARGETS)('$operation', (target) => {
    it.each(BAD_HEADERS)('$kind is refused', async (bad) => {
      const answer = await attempt(target, undefined, bad.header(world));
      if (target.listener === 'api') expect(answer.body).toEqual({ error: true, message: bad.v1.message });
      if (target.listener === 'api') expect(answer.status).toBe(bad.v1.status);
      else expect(answer).toMatchObject({ status: 400, body: { status: bad.identity } });
    });

    it("another user's token reaches nothing of the victim's", async () => {
      const caller = (target.another ?? mallory)(world);
      const answer = await attempt(target, caller, `Bearer ${caller.token}`);
      if (!target.another) expect(answer.status).toBe(200);
      else if (target.listener === 'api') expect(answer.status).toBe(403);
      else expect(answer).toMatchObject({ status: 400, body: { status: 40021 } });
    });

    it.runIf(target.wrongRole !== undefined)('a token of the wrong role is refused', async () => {
      const caller = (target.wrongRole as Who)(world);
      const answer = await attempt(target, caller, `Bearer ${caller.token}`);
      if (target.listener === 'api') expect(answer.status).toBe(403);
      else expect(answer).toMatchObject({ status: 400, body: { status: 40021 } });
    });
  });

  it("left every victim's object as it was", async () => {
    const { platform, victim, victimJobId, victimCourseId } = world;
    const ready = await platform.call('GET', `/v1/job/ready/${victimJobId}`, { token: victim.token });
    expect(ready.status).toBe(200);
    expect(ready.body.job.status).not.toBe('Deleted');
    expect((await platform.call('GET', `/v1/course/get/${victimCourseId}`)).status).toBe(200);
    expect(await platform.services.identity.findUser({ name: victim.name })).toBeDefined();
    expect((await platform.call('GET', '/v1/volume/home', { token: victim.token })).body.home).toMatchObject({ state: 'Bound', capacity: '10Gi' });
    expect((await platform.services.identity.findUser({ name: world.mallory.name }))?.roles).toEqual(['student']);
    const classroom = await platform.call('GET', `/v1/classroom/get/${world.victimClassroomId}`, { token: world.victimTeacher.token });
    expect(classroom.body.classroom).toMatchObject({ name: "vera's class", members: [{ user: 'vera', role: 'teacher' }, { user: 'victor', role: 'student' }] });
    expect((await platform.call('POST', '/v1/course/list', { token: world.victimTeacher.token, body: {} })).body.courses.map((c: { name: string }) => c.name)).toEqual(["vera's course"]);
  });

  describe('public routes ignore the Authorization header', () => {
    const PUBLIC: Array<[string, 'GET' | 'POST', (world: World) => string, unknown]> = [
      ['course list by level', 'GET', () => '/v1/course/level/basic', undefined],
      ['course details', 'GET', (w) => `/v1/course/get/${w.victimCourseId}`, undefined],
      ['health of the cluster', 'GET', () => '/v1/health/kubernetes', undefined],
      ['health of the database', 'POST', () => '/v1/health/database', { message: 'm' }],
    ];
    it.each(PUBLIC)('%s answers 200 whatever the header says', async (_name, method, url, body) => {
      const headers = [...BAD_HEADERS.map((bad) => bad.header(world)), `Bearer ${world.mallory.token}`, 'Bearer '.repeat(200)];
      const plain = await world.platform.call(method, url(world), body === undefined ? {} : { body });
      expect(plain.status).toBe(200);
      for (const authorization of headers) {
        const answer = await world.platform.call(method, url(world), { ...(authorization === undefined ? {} : { headers: { authorization } }), ...(body === undefined ? {} : { body }) });
        expect(answer.status, `${authorization}: ${answer.text}`).toBe(200);
        expect(answer.body, authorization).toEqual(plain.body);
      }
    });
  });
});
