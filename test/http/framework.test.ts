import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/http/json-body.js';
import { startTestPlatform, type Answer, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

/**
 * What every route shares, whatever it does: how bodies are read and refused, the envelopes of
 * the framework's own errors, paths, docs, metrics, CORS and logs.
 */

const PARSE_PREFIX = 'Failed to parse spec request request: ';

/** The identity spec's status codes (identity-service-api.md), and their messages. */
const IDENTITY_STATUSES: Record<number, string> = {
  10000: 'unknown',
  20001: 'ok',
  20002: 'user created',
  20003: 'user deleted',
  20004: 'user role added',
  20005: 'role created',
  20006: 'role deleted',
  20007: 'token renewed',
  20008: 'token created',
  20009: 'token invalidated',
  20010: 'token role ok',
  40011: 'invalid argument',
  40012: 'user already existing',
  40013: 'user not found',
  40014: 'user password not match',
  40015: 'user role already existing',
  40016: 'role already existing',
  40017: 'role not found',
  40018: 'token not found',
  40019: 'token expired',
  40020: 'token is invalid',
  40021: 'token role not found',
  50000: 'internal',
};

/** A v1 parse failure: exactly the two keys, and the spec's prefix. */
function expectParseFailure(answer: Answer): void {
  expect(answer.status, answer.text).toBe(400);
  expect(Object.keys(answer.body ?? {}).sort()).toEqual(['error', 'message']);
  expect(answer.body.error).toBe(true);
  expect(answer.body.message).toMatch(new RegExp(`^${escapeRegExp(PARSE_PREFIX)}\\S`));
}

/** A v1 error envelope with this status: `{error: true, message}` and nothing else. */
function expectV1Error(answer: Answer, status: number): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(answer.body ?? {}).sort()).toEqual(['error', 'message']);
  expect(answer.body.error).toBe(true);
  expect(typeof answer.body.message).toBe('string');
  expect(answer.body.message.length).toBeGreaterThan(0);
}

/** The identity service's 40011: HTTP 400, `{status: 40011, message: "invalid argument"}`, maybe a reason. */
function expectInvalidArgument(answer: Answer): void {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.body).toMatchObject({ status: 40011, message: 'invalid argument' });
  expect(Object.keys(answer.body).filter((key) => !['status', 'message', 'data'].includes(key))).toEqual([]);
  if (answer.body.data !== undefined) expect(typeof answer.body.data.reason).toBe('string');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A JSON text of exactly `bytes` bytes (ASCII), accepted by POST /v1/health/database. */
function healthBodyOfSize(bytes: number): string {
  const head = '{"message":"x"';
  const tail = '}';
  return head + ' '.repeat(bytes - head.length - tail.length) + tail;
}

const COURSE = { name: 'Deep learning 101', image: 'nvidia/digits:6.0', level: 'basic', GPU: 1, datasets: ['mnist'] };

describe('HTTP framework behaviour shared by every route', () => {
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform();
    teacher = await platform.user('fw-teacher', ['teacher']);
    student = await platform.user('fw-student', ['student']);
  });
  afterAll(() => platform?.close());

  describe('malformed JSON', () => {
    const malformed = ['{"user": ', '{user: "x"}', "{'a': 1}", '{"a":1,}', 'not json', '{"a":1}{"b":2}'];

    // [method, url, needs a token]
    const v1Routes: Array<[string, string, boolean]> = [
      ['POST', '/v1/course/list', true],
      ['POST', '/v1/course/create', true],
      ['POST', '/v1/auth/register', false],
      ['DELETE', '/v1/auth/delete', true],
      ['POST', '/v1/health/database', false],
      ['POST', '/v1/health/databaseAuth', true],
    ];

    it.each(v1Routes)('v1 %s %s answers 400 "Failed to parse spec request request: …"', async (method, url, needsToken) => {
      for (const text of malformed) {
        const answer = await platform.call(method as 'POST', url, { token: needsToken ? teacher.token : undefined, body: text });
        expectParseFailure(answer);
      }
    });

    const identityRoutes: Array<[string, string]> = [
      ['POST', '/user'],
      ['DELETE', '/user'],
      ['POST', '/user/role'],
      ['POST', '/user/auth'],
      ['POST', '/role'],
      ['DELETE', '/role'],
      ['DELETE', '/token'],
      ['GET', '/token/role'],
      ['GET', '/token/roles'],
    ];

    it.each(identityRoutes)('identity %s %s answers 400 {status: 40011, message: "invalid argument"}', async (method, url) => {
      for (const text of malformed) {
        // An admin's token, so that role management would not refuse before the body is read.
        const answer = await platform.callIdentity(method as 'POST', url, { token: platform.admin.token, body: text });
        expectInvalidArgument(answer);
      }
    });

    it('checks the token before reading the body: a stranger gets 401, not a parse error', async () => {
      const answer = await platform.call('POST', '/v1/course/create', { body: '{"name": ' });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: true, message: 'Authorization header is missing' });
    });

    it('does not leave a half-parsed body behind: a malformed course is not created', async () => {
      const answer = await platform.call('POST', '/v1/course/create', {
        token: teacher.token,
        body: `${JSON.stringify({ ...COURSE, name: 'half-parsed' }).slice(0, -1)},}`,
      });
      expectParseFailure(answer);
      const list = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
      expect(list.status).toBe(200);
      expect(list.body.courses.map((course: Json) => course.name)).not.toContain('half-parsed');
    });
  });

  describe('wrong types are refused, not coerced', () => {
    it('accepts the well-typed course (the control case)', async () => {
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { ...COURSE, name: 'control' } });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.course).toMatchObject({ name: 'control', gpu: 1, datasets: ['mnist'], level: 'basic' });
    });

    const wrongTypes: Array<[string, Record<string, unknown>, string]> = [
      ['GPU as a string', { GPU: '1' }, 'body/GPU'],
      ['gpu as a string', { GPU: undefined, gpu: '1' }, 'body/gpu'],
      ['GPU as a boolean', { GPU: true }, 'body/GPU'],
      ['GPU as a fraction', { GPU: 1.5 }, 'body/GPU'],
      ['GPU as null', { GPU: null }, 'body/GPU'],
      ['GPU as an array', { GPU: [1] }, 'body/GPU'],
      ['datasets as a string', { datasets: 'mnist' }, 'body/datasets'],
      ['datasets holding a number', { datasets: [5] }, 'body/datasets/0'],
      ['name as a number', { name: 5 }, 'body/name'],
      ['name as an array', { name: ['a'] }, 'body/name'],
      ['image as a number', { image: 7 }, 'body/image'],
      ['level as a number', { level: 1 }, 'body/level'],
      ['user as a number', { user: 5 }, 'body/user'],
      ['introduction as an object', { introduction: { text: 'x' } }, 'body/introduction'],
    ];

    it.each(wrongTypes)('course create with %s is 400', async (_case, change, where) => {
      const name = `typed-${where}`;
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { ...COURSE, name, ...change } });
      expectParseFailure(answer);
      expect(answer.body.message).toContain(where);
      const list = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
      expect(list.body.courses.map((course: Json) => course.name)).not.toContain(name);
    });

    const missing: Array<[string, string]> = [
      ['name', 'name'],
      ['image', 'image'],
      ['level', 'level'],
      ['GPU', 'GPU'],
    ];

    it.each(missing)('course create without %s is 400', async (field, mentioned) => {
      const body: Record<string, unknown> = { ...COURSE, name: `missing-${field}` };
      delete body[field];
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body });
      expectParseFailure(answer);
      expect(answer.body.message).toContain(mentioned);
    });

    it.each([
      ['an array', '[]'],
      ['a string', '"course"'],
      ['a number', '5'],
      ['null', 'null'],
      ['no body at all', ''],
    ])('course create with %s as its body is 400', async (_case, text) => {
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: text });
      expectParseFailure(answer);
    });

    it('refuses wrong types on the other routes too', async () => {
      expectParseFailure(await platform.call('POST', '/v1/course/list', { token: teacher.token, body: { user: 5 } }));
      expectParseFailure(await platform.call('POST', '/v1/course/list', { token: teacher.token, body: [] }));
      expectParseFailure(await platform.call('POST', '/v1/health/database', { body: { message: 5 } }));
      expectParseFailure(await platform.call('POST', '/v1/health/databaseAuth', { token: student.token, body: { message: true } }));
      expectParseFailure(await platform.call('POST', '/v1/auth/register', { body: { username: 'typed-user', password: 12345678 } }));
      expectParseFailure(await platform.call('POST', '/v1/auth/register', { body: { username: 'typed-user' } }));
      expectParseFailure(await platform.call('DELETE', '/v1/auth/delete', { token: student.token, body: { id: 5 } }));
      // None of these registered anyone.
      expect(await platform.services.identity.findUser({ name: 'typed-user' })).toBeUndefined();
    });

    it('refuses wrong types on the identity service with 40011', async () => {
      expectInvalidArgument(await platform.callIdentity('POST', '/user', { body: { user_name: 'typed-id', password: 12345678 } }));
      expectInvalidArgument(await platform.callIdentity('POST', '/user', { body: { user_name: 5, password: 'long-enough-pw' } }));
      expectInvalidArgument(await platform.callIdentity('POST', '/user', { body: { user_name: 'typed-id' } }));
      expectInvalidArgument(await platform.callIdentity('GET', '/token/roles', { body: { token: 5 } }));
      expectInvalidArgument(await platform.callIdentity('GET', '/token/roles?token=a&token=b'));
      expect(await platform.services.identity.findUser({ name: 'typed-id' })).toBeUndefined();
    });
  });

  describe('body size limit of 1 MiB', () => {
    it('accepts a body of exactly 1 MiB', async () => {
      const text = healthBodyOfSize(BODY_LIMIT_BYTES);
      expect(Buffer.byteLength(text)).toBe(1024 * 1024);
      const answer = await platform.call('POST', '/v1/health/database', { body: text });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.message).toBe('x');
    });

    it('answers 413 in the v1 envelope one byte over, on public and protected routes', async () => {
      const text = healthBodyOfSize(BODY_LIMIT_BYTES + 1);
      expectV1Error(await platform.call('POST', '/v1/health/database', { body: text }), 413);
      expectV1Error(await platform.call('POST', '/v1/health/databaseAuth', { token: student.token, body: text }), 413);
      const bigCourse = JSON.stringify({ ...COURSE, introduction: 'x'.repeat(2 * 1024 * 1024) });
      expectV1Error(await platform.call('POST', '/v1/course/create', { token: teacher.token, body: bigCourse }), 413);
    });

    it('answers 400 with 40011 on the identity service (which knows only 200, 400 and 500)', async () => {
      const password = 'p'.repeat(BODY_LIMIT_BYTES + 10);
      expectInvalidArgument(await platform.callIdentity('POST', '/user', { body: { user_name: 'huge', password } }));
      expectInvalidArgument(await platform.callIdentity('POST', '/user/auth', { body: { user_name: 'huge', password } }));
      // GET bodies are read by hand: the same limit holds there.
      expectInvalidArgument(await platform.callIdentity('GET', '/token/roles', { body: { token: 't'.repeat(BODY_LIMIT_BYTES + 10) } }));
      expect(await platform.services.identity.findUser({ name: 'huge' })).toBeUndefined();
    });
  });

  describe('unknown routes and long URLs', () => {
    it.each([
      ['GET', '/v1/nope'],
      ['POST', '/v1/course/nope'],
      ['GET', '/v1/course/list'], // a known path, but not with this method
      ['GET', '/nope?token=secret'],
      ['PUT', '/v1/course/create'],
    ])('the API answers %s %s with 404 in the v1 envelope', async (method, url) => {
      const answer = await platform.call(method as 'GET', url, { token: student.token });
      expectV1Error(answer, 404);
      expect(answer.body.message).not.toContain('secret');
    });

    it.each([
      ['GET', '/nope'],
      ['POST', '/users'],
      ['GET', '/user'],
      ['PUT', '/role'],
      ['GET', '/v1/course/list'],
    ])('the identity service answers %s %s with 400 and a status from its spec', async (method, url) => {
      const answer = await platform.callIdentity(method as 'GET', url);
      expect(answer.status).toBe(400);
      expect(typeof answer.body.status).toBe('number');
      expect(Object.keys(IDENTITY_STATUSES).map(Number)).toContain(answer.body.status);
      expect(answer.body.status).toBeGreaterThanOrEqual(10000);
      expect(answer.body.status).not.toBe(20001);
      expect(answer.body.message).toBe(IDENTITY_STATUSES[answer.body.status]);
    });

    it('answers a path parameter longer than 100 characters with 414 in the v1 envelope', async () => {
      const long = 'a'.repeat(200);
      expectV1Error(await platform.call('DELETE', `/v1/course/delete/${long}`, { token: teacher.token }), 414);
      expectV1Error(await platform.call('GET', `/v1/course/get/${long}`, { token: teacher.token }), 414);
      expectV1Error(await platform.call('GET', `/v1/course/level/${long}`), 414);
    });

    it('answers a badly encoded URL with 400 in the v1 envelope', async () => {
      expectV1Error(await platform.call('GET', '/v1/course/level/%E0%A4%A'), 400);
      // The query may carry a token: error messages repeat only the path.
      const withQuery = await platform.call('GET', '/v1/course/level/%E0%A4%A?token=SECRET2');
      expect(withQuery.text).not.toContain('SECRET2');
      const identity = await platform.callIdentity('GET', '/token/roles/%E0%A4%A?token=SECRET3');
      expect(identity.status).toBe(400);
      expect(identity.text).not.toContain('SECRET3');
    });

    it('answers a path parameter of the wrong form with 400 "Failed to parse…"', async () => {
      expectParseFailure(await platform.call('GET', '/v1/course/get/not-a-uuid', { token: student.token }));
      expectParseFailure(await platform.call('DELETE', '/v1/course/delete/not-a-uuid', { token: teacher.token }));
    });
  });

  describe('trailing slashes', () => {
    function expectNoRedirect(answer: Answer): void {
      expect(answer.status < 300 || answer.status >= 400, `status ${answer.status}`).toBe(true);
      expect(answer.headers.location).toBeUndefined();
    }

    it.each([
      ['GET', '/v1/course/level/basic', false, undefined],
      ['GET', '/v1/course/level/advance', false, undefined],
      ['POST', '/v1/course/list', true, {}],
      ['POST', '/v1/health/database', false, { message: 'm' }],
      ['POST', '/v1/health/databaseAuth', true, { message: 'm' }],
    ] as const)('%s %s answers 200 with and without a trailing slash', async (method, path, needsToken, body) => {
      for (const url of [path, `${path}/`]) {
        const answer = await platform.call(method, url, { token: needsToken ? teacher.token : undefined, body });
        expectNoRedirect(answer);
        expect(answer.status, `${method} ${url}: ${answer.text}`).toBe(200);
        expect(answer.body.error).toBe(false);
      }
    });

    it('routes with a path parameter answer with a trailing slash too', async () => {
      const created = await platform.call('POST', '/v1/course/create/', { token: teacher.token, body: { ...COURSE, name: 'slashed' } });
      expectNoRedirect(created);
      expect(created.status, created.text).toBe(200);
      const id: string = created.body.id;

      for (const url of [`/v1/course/get/${id}`, `/v1/course/get/${id}/`]) {
        const answer = await platform.call('GET', url, { token: student.token });
        expectNoRedirect(answer);
        expect(answer.status, url).toBe(200);
        expect(answer.body.course.id).toBe(id);
      }
      const deleted = await platform.call('DELETE', `/v1/course/delete/${id}/`, { token: teacher.token });
      expectNoRedirect(deleted);
      expect(deleted.status, deleted.text).toBe(200);
      expect(deleted.body).toEqual({ error: false, message: 'course slashed is deleted successfully' });
    });

    it('the account routes answer with a trailing slash', async () => {
      const registered = await platform.call('POST', '/v1/auth/register/', { body: { username: 'slash-user', password: 'slash-user-pw' } });
      expectNoRedirect(registered);
      expect(registered.status, registered.text).toBe(200);
      const token = (await platform.services.identity.authenticate('slash-user', 'slash-user-pw')).token;
      const deleted = await platform.call('DELETE', '/v1/auth/delete/', { token });
      expectNoRedirect(deleted);
      expect(deleted.status, deleted.text).toBe(200);
      expect(await platform.services.identity.findUser({ name: 'slash-user' })).toBeUndefined();
    });

    it('the identity service answers with a trailing slash', async () => {
      const created = await platform.callIdentity('POST', '/user/', { body: { user_name: 'slash-id', password: 'slash-id-pw' } });
      expectNoRedirect(created);
      expect(created.body).toEqual({ status: 20002, message: 'user created' });
      const roles = await platform.callIdentity('GET', `/token/roles/?token=${encodeURIComponent(student.token)}`);
      expectNoRedirect(roles);
      expect(roles.status, roles.text).toBe(200);
      expect(roles.body.status).toBe(20001);
    });
  });

  describe('JSON bodies whatever the Content-Type', () => {
    it.each([
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=utf-8',
      'application/octet-stream',
      'text/plain;charset=UTF-8',
    ])('POST /v1/health/database with Content-Type %s echoes the message', async (contentType) => {
      const answer = await platform.call('POST', '/v1/health/database', {
        body: '{"message":"x"}',
        headers: { 'content-type': contentType },
      });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({ error: false, message: 'x' });
      expect(Array.isArray(answer.body.tables)).toBe(true);
    });

    it('reads a form-encoded Content-Type as JSON on a protected route (curl -d)', async () => {
      const answer = await platform.call('POST', '/v1/course/create', {
        token: teacher.token,
        body: JSON.stringify({ ...COURSE, name: 'curl-d' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.course.name).toBe('curl-d');
    });

    it('reads a body sent without any Content-Type as JSON', async () => {
      const response = await platform.api.inject({ method: 'POST', url: '/v1/health/database', payload: '{"message":"bare"}' });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.statusCode, response.body).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ error: false, message: 'bare' });
    });

    it('a form-encoded body that is not JSON is a parse failure, not a form', async () => {
      const answer = await platform.call('POST', '/v1/health/database', {
        body: 'message=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectParseFailure(answer);
    });

    it('identity routes read JSON whatever the Content-Type', async () => {
      const answer = await platform.callIdentity('POST', '/user', {
        body: JSON.stringify({ user_name: 'form-id', password: 'form-id-pw' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(answer.body).toEqual({ status: 20002, message: 'user created' });
    });
  });

  describe('prototype poisoning', () => {
    it.each([
      ['__proto__', '{"__proto__":{"x":1}}'],
      ['constructor.prototype', '{"constructor":{"prototype":{}}}'],
      ['nested __proto__', '{"message":"m","nested":{"__proto__":{"polluted":true}}}'],
    ])('a body with %s is 400 "Failed to parse…"', async (_case, text) => {
      expectParseFailure(await platform.call('POST', '/v1/health/database', { body: text }));
      expectParseFailure(await platform.call('POST', '/v1/course/list', { token: teacher.token, body: text }));
      expectInvalidArgument(await platform.callIdentity('POST', '/user', { body: text }));
      expectInvalidArgument(await platform.callIdentity('GET', '/token/roles', { body: text }));
      expect(({} as Record<string, unknown>).x).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('deeply nested bodies', () => {
    /** `{"a":{"a":…}}` nested `levels` deep. */
    const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    const uuid = '00000000-0000-4000-8000-000000000000';
    const concretePath = (path: string) =>
      path.replace(/\{(\w+)\}/g, (_whole, name: string) => (name === 'level' ? 'basic' : name === 'user' ? 'fw-teacher' : uuid));
    /**
     * Every operation a document lists that takes a body: all but GET and HEAD, and on the
     * identity service, whose GETs read a JSON body as their query, GETs with a query too.
     */
    const operationsWithBodies = (doc: Json, getsReadBodies = false): Array<[string, string]> =>
      Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(
            ([method, operation]) =>
              !['get', 'head'].includes(method) || (getsReadBodies && method === 'get' && (operation.parameters ?? []).some((p: Json) => p.in === 'query')),
          )
          .map(([method]): [string, string] => [method.toUpperCase(), concretePath(path)]),
      );

    it('every v1 route with a body, DELETEs included, answers 400 "Failed to parse…" for a body 5,000 levels deep', async () => {
      const routes = operationsWithBodies((await platform.call('GET', '/docs/json')).body).filter(([, url]) => url.startsWith('/v1/'));
      expect(routes.map(([method]) => method)).toContain('DELETE');
      for (const [method, url] of routes) {
        const answer = await platform.call(method as 'POST', url, { token: platform.admin.token, body: nested(5000) });
        expect(`${method} ${url} ${answer.status}`).toBe(`${method} ${url} 400`);
        expectParseFailure(answer);
        expect(answer.body.message).toContain('nested more than 64 levels');
      }
    });

    it('every identity function with a body answers 40011 for a body 5,000 levels deep', async () => {
      const routes = operationsWithBodies((await platform.callIdentity('GET', '/docs/json')).body, true);
      expect(routes.length).toBeGreaterThanOrEqual(9);
      for (const [method, url] of routes) {
        const answer = await platform.callIdentity(method as 'POST', url, { token: platform.admin.token, body: nested(5000) });
        expectInvalidArgument(answer);
        expect(answer.body.data.reason).toContain('nested more than 64 levels');
      }
    });

    it('accepts 64 levels and refuses 65, in arrays as in objects', async () => {
      const inArray = (levels: number) => `{"message":"m","extra":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
      expect((await platform.call('POST', '/v1/health/database', { body: inArray(64) })).status).toBe(200);
      expectParseFailure(await platform.call('POST', '/v1/health/database', { body: inArray(65) }));
      expect((await platform.call('POST', '/v1/health/database', { body: nested(64) })).status).toBe(200);
      expectParseFailure(await platform.call('POST', '/v1/health/database', { body: nested(65) }));
    });
  });

  describe('OpenAPI document and Swagger UI', () => {
    let doc: Json;

    beforeAll(async () => {
      const answer = await platform.call('GET', '/docs/json');
      expect(answer.status).toBe(200);
      doc = answer.body;
    });

    const protectedOperations: Array<[string, string]> = [
      ['/v1/course/list', 'post'],
      ['/v1/course/create', 'post'],
      ['/v1/course/delete/{id}', 'delete'],
      ['/v1/auth/delete', 'delete'],
      ['/v1/health/databaseAuth', 'post'],
    ];
    const publicOperations: Array<[string, string]> = [
      ['/v1/course/level/{level}', 'get'],
      ['/v1/course/get/{id}', 'get'],
      ['/v1/auth/register', 'post'],
      ['/v1/health/database', 'post'],
    ];

    it('is an OpenAPI 3 document with a bearer security scheme', () => {
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toEqual(expect.any(String));
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });

    it('lists every v1 route, and nothing hidden', () => {
      const paths = Object.keys(doc.paths);
      for (const [path] of [...protectedOperations, ...publicOperations]) expect(paths).toContain(path);
      expect(paths).not.toContain('/metrics');
      expect(paths.some((path) => path.includes(':'))).toBe(false);
    });

    it.each(protectedOperations)('%s (%s) needs a bearer token', (path, method) => {
      expect(doc.paths[path][method].security).toEqual([{ bearer: [] }]);
    });

    it.each(publicOperations)('%s (%s) is public', (path, method) => {
      const operation = doc.paths[path][method];
      expect(operation).toBeDefined();
      expect(operation.security ?? []).toEqual([]);
    });

    it('documents the limits of a course', () => {
      const content = doc.paths['/v1/course/create'].post.requestBody.content;
      const schema = (content['application/json'] ?? Object.values(content)[0]).schema;
      expect(schema.properties.GPU.maximum).toBe(16);
      expect(schema.properties.gpu.maximum).toBe(16);
      expect(schema.properties.GPU.type).toBe('integer');
      expect(schema.properties.name.maxLength).toBe(128);
      expect(schema.required).toEqual(expect.arrayContaining(['name', 'image', 'level']));
    });

    it('documents path parameters', () => {
      const parameters = doc.paths['/v1/course/level/{level}'].get.parameters;
      expect(parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'level', in: 'path', required: true })]));
    });

    it('serves the Swagger UI at /docs and /docs/', async () => {
      for (const url of ['/docs', '/docs/']) {
        let answer = await platform.call('GET', url);
        // The UI's own static entry point redirects back to the UI; nothing else may redirect.
        if (answer.status >= 300 && answer.status < 400) {
          expect(answer.headers.location).toMatch(/\/docs\/?(static\/index\.html)?$/);
          answer = await platform.call('GET', String(answer.headers.location));
        }
        expect(answer.status, url).toBe(200);
        expect(answer.headers['content-type']).toMatch(/^text\/html/);
        expect(answer.text).toMatch(/swagger/i);
      }
    });

    it('the identity service documents its own functions', async () => {
      const answer = await platform.callIdentity('GET', '/docs/json');
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body.paths)).toEqual(expect.arrayContaining(['/user', '/user/role', '/user/auth', '/role', '/token', '/token/role', '/token/roles']));
    });
  });

  describe('Prometheus metrics', () => {
    it('counts requests by method, route pattern and status, and labels unknown paths "unmatched"', async () => {
      await platform.call('GET', '/v1/course/level/basic');
      await platform.call('GET', '/v1/course/level/advance/');
      await platform.call('POST', '/v1/course/list', { token: student.token, body: {} });
      await platform.call('POST', '/v1/course/list'); // 401
      await platform.call('GET', '/v1/no-such-route-xyzzy');
      await platform.call('GET', `/v1/course/level/${'q'.repeat(150)}`); // 414

      const answer = await platform.call('GET', '/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain/);
      const text = answer.text;

      expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
      expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      const countOf = (labels: string): number => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`http_requests_total{${labels}}`));
        return line === undefined ? 0 : Number(line.split(' ').pop());
      };
      expect(countOf('method="GET",route="/v1/course/level/:level",status_code="200"')).toBeGreaterThanOrEqual(2);
      expect(countOf('method="POST",route="/v1/course/list",status_code="200"')).toBeGreaterThanOrEqual(1);
      expect(countOf('method="POST",route="/v1/course/list",status_code="401"')).toBeGreaterThanOrEqual(1);
      expect(countOf('method="GET",route="unmatched",status_code="404"')).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/course\/level\/:level",status_code="200"\} \d+$/m);
      expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/v1\/course\/level\/:level",status_code="200"\} \d+$/m);

      // Raw URLs never become labels: the label set would grow without bound.
      expect(text).not.toContain('no-such-route-xyzzy');
      expect(text).not.toContain('qqqqqqqqqq');
      expect(text).not.toContain('/v1/course/level/basic');
      expect(text).not.toContain('/v1/course/level/advance/');
    });
  });

  describe('CORS', () => {
    const origin = 'https://lab.example.edu';

    it.each(['/v1/course/list', '/v1/course/list/'])('answers a preflight to %s with 204 and no redirect', async (url) => {
      const answer = await platform.call('OPTIONS', url, {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(answer.status).toBe(204);
      expect(answer.headers.location).toBeUndefined();
      expect(answer.headers['access-control-allow-origin']).toBe('*');
      expect(String(answer.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
      const allowedHeaders = String(answer.headers['access-control-allow-headers']).toLowerCase();
      expect(allowedHeaders).toContain('authorization');
      expect(allowedHeaders).toContain('content-type');
      // Tokens, not cookies: credentials are never allowed cross-origin.
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('puts the CORS header on answers and on errors, so that a browser can read them', async () => {
      const ok = await platform.call('GET', '/v1/course/level/basic', { headers: { origin } });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('*');
      const unauthorized = await platform.call('POST', '/v1/course/list', { headers: { origin }, body: {} });
      expectV1Error(unauthorized, 401);
      expect(unauthorized.headers['access-control-allow-origin']).toBe('*');
      const unknown = await platform.call('GET', '/v1/nope', { headers: { origin } });
      expectV1Error(unknown, 404);
      expect(unknown.headers['access-control-allow-origin']).toBe('*');
    });

    // The API has DELETE routes (/v1/course/delete/:id, /v1/auth/delete) that a browser client
    // must be able to call; @fastify/cors allows only GET, HEAD and POST unless told otherwise.
    it.each(['/v1/course/delete/3fa85f64-5717-4562-b3fc-2c963f66afa6', '/v1/auth/delete'])(
      'allows DELETE in a preflight to %s',
      async (url) => {
        const answer = await platform.call('OPTIONS', url, {
          headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
        });
        expect(answer.status).toBe(204);
        expect(answer.headers['access-control-allow-origin']).toBe('*');
        expect(String(answer.headers['access-control-allow-methods'])).toMatch(/\bDELETE\b/);
      },
    );
  });

  describe('logs never contain secrets', () => {
    it('censors passwords, Authorization headers and tokens in query strings', async () => {
      const registerPassword = 'Register-Secret-8c1f5e';
      const authPassword = 'Auth-Secret-4b7a21d9';
      await platform.services.identity.createUser('log-user', authPassword, ['student']);
      const logsBefore = platform.logs.length;

      const registered = await platform.call('POST', '/v1/auth/register', { body: { username: 'log-reg', password: registerPassword } });
      expect(registered.status, registered.text).toBe(200);
      // A refused registration, too (the password is in a body that fails).
      await platform.call('POST', '/v1/auth/register', { body: { username: 'log-reg', password: registerPassword } });

      const authenticated = await platform.callIdentity('POST', '/user/auth', { body: { user_name: 'log-user', password: authPassword } });
      expect(authenticated.status, authenticated.text).toBe(200);
      const token: string = authenticated.body.data.token;
      expect(token.length).toBeGreaterThan(8);
      // A wrong password.
      await platform.callIdentity('POST', '/user/auth', { body: { user_name: 'log-user', password: `${authPassword}-wrong` } });

      const listed = await platform.call('POST', '/v1/course/list', { token, body: {} });
      expect(listed.status).toBe(200);
      const roles = await platform.callIdentity('GET', `/token/roles?token=${encodeURIComponent(token)}`);
      expect(roles.status, roles.text).toBe(200);
      await platform.callIdentity('GET', `/token/roles?foo=1&token=${encodeURIComponent(token)}`);
      await platform.callIdentity('GET', `/token/role?role_name=student&to%6Ben=${encodeURIComponent(token)}`);
      await platform.callIdentity('GET', `/token/roles/?token=${encodeURIComponent(token)}`);
      await platform.call('GET', `/v1/nope?token=${encodeURIComponent(token)}`);
      await platform.callIdentity('GET', `/nope?token=${encodeURIComponent(token)}`);

      const written = platform.logs.slice(logsBefore);
      expect(written.length).toBeGreaterThan(0);
      const all = written.join('\n');
      for (const secret of [registerPassword, authPassword, token, encodeURIComponent(token)]) {
        expect(all).not.toContain(secret);
      }
      expect(all.toLowerCase()).not.toContain(`bearer ${token.toLowerCase()}`);

      const urls = written
        .map((line) => JSON.parse(line) as Json)
        .map((entry) => entry.req?.url as string | undefined)
        .filter((url): url is string => url !== undefined);
      expect(urls).toContain('/token/roles?token=[redacted]');
      expect(urls).toContain('/token/roles?foo=1&token=[redacted]');
      expect(urls).toContain('/token/roles/?token=[redacted]');
      expect(urls).toContain('/v1/auth/register');
    });

    it('logs one JSON object a line', () => {
      for (const line of platform.logs) {
        expect(() => JSON.parse(line)).not.toThrow();
      }
    });
  });

  describe('identity GET routes read a JSON body and the query', () => {
    it.each([
      ['in a JSON body, as the spec sends it', (token: string) => platform.callIdentity('GET', '/token/roles', { body: { token } })],
      ['in the query', (token: string) => platform.callIdentity('GET', `/token/roles?token=${encodeURIComponent(token)}`)],
    ])('GET /token/roles with the token %s', async (_where, ask) => {
      const answer = await ask(student.token);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toEqual({
        status: 20001,
        message: 'ok',
        data: expect.objectContaining({ token: student.token, roles: ['student'] }),
      });
    });

    it('GET /token/roles with a form-encoded JSON body (curl -X GET -d)', async () => {
      const answer = await platform.callIdentity('GET', '/token/roles', {
        body: JSON.stringify({ token: teacher.token }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.data).toMatchObject({ token: teacher.token, roles: ['teacher'] });
    });

    it('GET /token/role with a JSON body and with the query', async () => {
      const viaBody = await platform.callIdentity('GET', '/token/role', { body: { token: teacher.token, role_name: 'teacher' } });
      expect(viaBody.body).toEqual({ status: 20010, message: 'token role ok' });
      const viaQuery = await platform.callIdentity('GET', `/token/role?token=${encodeURIComponent(teacher.token)}&role_name=teacher`);
      expect(viaQuery.body).toEqual({ status: 20010, message: 'token role ok' });
      const notHeld = await platform.callIdentity('GET', '/token/role', { body: { token: teacher.token, role_name: 'admin' } });
      expect(notHeld.status).toBe(400);
      expect(notHeld.body).toMatchObject({ status: 40021, message: 'token role not found' });
    });

    it('GET /token/roles with neither body nor query is 40011', async () => {
      expectInvalidArgument(await platform.callIdentity('GET', '/token/roles'));
    });
  });
});
