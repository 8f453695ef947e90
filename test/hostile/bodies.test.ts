import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../support/platform.js';
import { bodyFromSchema, type Dictionary } from './from-schema.js';
import { describeProbe, problemsOf, send, type Listener, type Probe } from './probe.js';
import { encodeAny, Random, randomJson, randomNumber, randomRawBody, randomString, randomUuid, replayHint, runSeed } from './random.js';
import { operationsOf, takesBody, urlOf, type Operation } from './routes.js';
import { openWorld, type World } from './world.js';

/**
 * Bodies of random shape, depth and size on every route that takes one, on both listeners, and
 * random queries on every GET that reads one, from callers of every kind: no 5xx, no dropped
 * request, nothing of another user's in any answer, and no token or password in the logs. The
 * routes come from the OpenAPI documents, so a new route is covered as soon as it exists.
 */

const FILE = 'test/hostile/bodies.test.ts';
const SEED = runSeed();
const HINT = replayHint(SEED, FILE);
/** Bodies per route: enough to reach past validation now and then, few enough for CI; more for a longer search. */
const BODIES_PER_ROUTE = Number(process.env.CLASSLAB_HOSTILE_BODIES ?? 40);
/** A bound on each listener's run (a few seconds on its own, slower on a loaded machine), not a speed check. */
const RUN_TIMEOUT_MS = 3000 * BODIES_PER_ROUTE;

const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', ''];

describe(`hostile bodies (${HINT})`, () => {
  let world: World;
  let dictionary: Dictionary;

  beforeAll(async () => {
    world = await openWorld();
    const { victim, victimTeacher, mallory, tess, admin } = world;
    // What a body may name to reach past validation: real ids and names, a token that may be spent.
    dictionary = {
      ids: [world.victimCourseId, world.victimClassroomId, ...world.jobOf.values()],
      words: [
        ...[victim, victimTeacher, mallory, tess, admin].map((user) => user.name),
        'VICTOR',
        'mallory-password',
        'tess-password',
        'newcomer',
        'Newcomer.2',
        world.spareToken,
        'basic',
        'advance',
        'nvidia/digits:6.0',
        'jupyter/base-notebook',
        'mnist',
        'cifar-10',
        'no-such-dataset',
        'jupyter',
        'lab-role',
        'profile',
        'read_write',
        // The OAuth endpoints' words, so that forms get past their first checks.
        'classlab-web',
        'authorization_code',
        'refresh_token',
        'code',
        'http://localhost:8080/oauth/callback',
      ],
    };
  });
  afterAll(() => world?.close());

  /** One random request to the operation, from a random caller, with a random body. */
  function probeOf(random: Random, listener: Listener, operation: Operation): Probe {
    const callers: Array<TestUser | undefined> = [world.mallory, world.tess, world.admin, world.victimTeacher, undefined];
    const caller = random.pick(callers);
    const headers: Record<string, string> = {};
    if (caller) headers.authorization = `Bearer ${caller.token}`;
    else if (random.chance(0.5)) headers.authorization = random.pick(['Bearer null', 'Bearer', `Bearer ${world.expiredToken}`, `Bearer ${world.revokedToken}`, `Basic ${randomString(random, 40)}`]);
    const contentType = random.pick(CONTENT_TYPES);
    if (contentType !== '') headers['content-type'] = contentType;
    let body: unknown;
    const roll = random.next();
    if (operation.body && roll < 0.55) body = bodyFromSchema(random, operation.body, dictionary);
    else if (operation.form && roll < 0.7) body = formOf(random);
    else if (roll < 0.85) body = randomJson(random);
    else body = randomRawBody(random);
    // Raw bodies are sent as they are; the rest as JSON, which a string body would not be.
    if (typeof body === 'string' && !operation.form && roll < 0.85) body = JSON.stringify(body);
    const url = urlOf(operation.path, (name) => pathValue(random, name));
    return { listener, operation, url, caller, options: { headers, body } };
  }

  function pathValue(random: Random, name: string): string {
    if (name === 'level') return random.pick(['basic', 'advance', 'advanced', randomString(random, 70)]);
    if (name === 'user') return random.pick([world.victim.name, world.mallory.name, 'VICTOR', randomString(random, 70)]);
    return random.pick([world.victimCourseId, world.victimJobId, world.victimClassroomId, ...world.jobOf.values(), randomUuid(random), randomString(random, 70)]);
  }

  function formOf(random: Random): string {
    const fields = ['grant_type', 'code', 'client_id', 'client_secret', 'redirect_uri', 'token', 'username', 'password', 'state', 'code_verifier', 'response_type', 'scope'];
    return Array.from({ length: random.int(0, 8) }, () => `${encodeAny(random.pick(fields))}=${encodeAny(random.chance(0.5) ? random.pick(dictionary.words) : randomString(random, 80))}`).join('&');
  }

  async function hammer(listener: Listener, operations: Operation[], salt: number): Promise<string[]> {
    const failures: string[] = [];
    for (const [index, operation] of operations.entries()) {
      // A generator per route: adding a route does not change what the others are sent.
      const random = new Random((SEED ^ Math.imul(salt + index + 1, 0x9e3779b1)) >>> 0);
      for (let i = 0; i < BODIES_PER_ROUTE; i += 1) {
        const probe = probeOf(random, listener, operation);
        const answer = await send(world, probe);
        const problems = problemsOf(world, probe, answer);
        if (problems.length > 0) failures.push(describeProbe(probe, answer, problems));
      }
    }
    return failures;
  }

  /** Log lines that hold a token or a password: none may, wherever it was sent where the server knows it is secret. */
  function secretsInLogs(): string[] {
    const { victim, victimTeacher, mallory, tess, admin } = world;
    const users = [victim, victimTeacher, mallory, tess, admin];
    const secrets = [...users.map((user) => user.token), ...users.map((user) => user.password), world.spareToken];
    return world.platform.logs.flatMap((line) =>
      secrets.filter((secret) => line.includes(secret)).map((secret) => `${JSON.stringify(secret.slice(0, 6))}… logged in ${line.slice(0, 400)}`),
    );
  }

  it('every v1 and OAuth route with a body holds', async () => {
    const operations = operationsOf((await world.platform.call('GET', '/docs/json')).body).filter(takesBody);
    expect(operations.map((operation) => operation.path)).toEqual(expect.arrayContaining(['/v1/course/create', '/v1/auth/delete', '/v1/job/delete/{id}', '/oauth/token']));
    const failures = await hammer('api', operations, 1);
    expect(failures, HINT).toEqual([]);
    expect(secretsInLogs(), HINT).toEqual([]);
    expect((await world.platform.call('GET', '/v1/health/kubernetes')).status).toBe(200);
  }, RUN_TIMEOUT_MS);

  it('every API GET that reads a query holds, whatever the query', async () => {
    const doc = (await world.platform.call('GET', '/docs/json')).body;
    // The OAuth pages read the RFC 6749 parameters, which the document does not list.
    const oauthParameters = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'code', 'error'];
    const queryOf = (operation: Operation): string[] =>
      operation.path.startsWith('/oauth/')
        ? oauthParameters
        : ((doc.paths[operation.path].get.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'query').map((p) => p.name);
    const withQuery = operationsOf(doc).filter((operation) => operation.method === 'GET' && queryOf(operation).length > 0);
    expect(withQuery.map((operation) => operation.path)).toEqual(expect.arrayContaining(['/v1/course/level/{level}', '/oauth/authorize', '/oauth/callback']));
    const failures: string[] = [];
    const random = new Random((SEED ^ 0x51ed27) >>> 0);
    const secretWords = [world.spareToken, 'mallory-password', 'tess-password'];
    for (const operation of withQuery) {
      const names = queryOf(operation);
      for (let i = 0; i < BODIES_PER_ROUTE; i += 1) {
        const probe = probeOf(random, 'api', operation);
        const pairs = Array.from({ length: random.int(0, names.length + 2) }, () => {
          let name = random.chance(0.8) ? random.pick(names) : randomString(random, 20);
          const value = random.pick([() => random.pick(dictionary.words), () => randomString(random, 200), () => String(randomNumber(random))])();
          // A secret goes only where the logs know to hide it (a token, password or code parameter).
          if (secretWords.includes(value)) name = random.pick(['token', 'password', 'code', 'client_secret', 'id_token', 'Refresh_Token']);
          return `${encodeAny(name)}=${encodeAny(value)}`;
        });
        const queried = { ...probe, url: `${probe.url}?${pairs.join('&')}`, options: { ...probe.options, body: undefined } };
        const answer = await send(world, queried);
        const problems = problemsOf(world, queried, answer);
        if (problems.length > 0) failures.push(describeProbe(queried, answer, problems));
      }
    }
    expect(failures, HINT).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('every identity function with a body holds, its GETs included', async () => {
    const operations = operationsOf((await world.platform.callIdentity('GET', '/docs/json')).body).filter(takesBody);
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(expect.arrayContaining(['POST /user', 'DELETE /user', 'POST /user/auth', 'GET /token/role', 'GET /token/roles']));
    const failures = await hammer('identity', operations, 1000);
    expect(failures, HINT).toEqual([]);
    expect(secretsInLogs(), HINT).toEqual([]);
    expect((await world.platform.callIdentity('POST', '/user/auth', { body: { user_name: world.tess.name, password: world.tess.password } })).body.status).toBe(20008);
  }, RUN_TIMEOUT_MS);
});
