import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { courses } from '../../src/store/schema.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

/** The public lists by level: anonymous, so they must stay cheap however often they are asked for. */
describe('public course lists', () => {
  let platform: TestPlatform;
  let teacher: TestUser;
  const names = ['a1', 'a2', 'a3', 'a4', 'a5'];

  const advanceCourse = (name: string) => ({ name, image: 'jupyter/base-notebook', level: 'advance', GPU: 0, introduction: `# ${name}\n${'x'.repeat(2000)}` });
  const listOf = async (query = '') => {
    const answer = await platform.call('GET', `/v1/course/level/advance${query}`);
    expect(answer.status, answer.text).toBe(200);
    return answer.body.courses as Json[];
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    teacher = await platform.user('lister', ['teacher']);
    for (const name of names) {
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: advanceCourse(name) });
      expect(answer.status).toBe(200);
    }
  });
  afterAll(() => platform?.close());

  it('answers every course without parameters, and a page with limit and offset', async () => {
    const all = await listOf();
    expect(all.map((course) => course.name)).toEqual(names);
    expect(await listOf('?limit=2')).toEqual(all.slice(0, 2));
    expect(await listOf('?offset=1&limit=2')).toEqual(all.slice(1, 3));
    expect(await listOf('?offset=3')).toEqual(all.slice(3));
    expect(await listOf('?offset=0')).toEqual(all);
    expect(await listOf('?offset=99&limit=5')).toEqual([]);
  });

  it.each([['limit=0'], ['limit=-1'], ['limit=abc'], ['limit=1.5'], ['limit=1&limit=2'], ['offset=-1'], ['offset=x'], ['limit=']])(
    'refuses ?%s with 400 "Failed to parse…"',
    async (query) => {
      const answer = await platform.call('GET', `/v1/course/level/advance?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/^Failed to parse spec request request: querystring\/(limit|offset)/) });
    },
  );

  it('serves one shared copy until a course is created or deleted', async () => {
    const query = vi.spyOn(platform.services.courses, 'listByLevel');
    try {
      const first = await platform.call('GET', '/v1/course/level/advance');
      const second = await platform.call('GET', '/v1/course/level/advance?limit=1');
      expect(second.body.courses).toEqual(first.body.courses.slice(0, 1));
      expect(query.mock.calls.length).toBeLessThanOrEqual(1);

      const made = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: advanceCourse('fresh') });
      expect((await listOf()).map((course) => course.name)).toContain('fresh');
      // The listed course is the course as the API shows it anywhere else.
      expect((await listOf()).find((course) => course.id === made.body.id)).toEqual(made.body.course);

      await platform.call('DELETE', `/v1/course/delete/${made.body.id}`, { token: teacher.token });
      expect((await listOf()).map((course) => course.name)).not.toContain('fresh');
    } finally {
      query.mockRestore();
    }
  });

  it('shows only the fields of a course, even from a row stored before unknown fields were refused', async () => {
    const [row] = await platform.store.db
      .insert(courses)
      .values({ ownerId: teacher.id, name: 'old row', image: 'jupyter/base-notebook', gpu: 0, level: 'basic', ports: [{ name: 'web', port: 80, hostPort: 22, junk: 'x' } as never] })
      .returning({ id: courses.id });
    const listed = (await platform.call('GET', '/v1/course/level/basic')).body.courses.find((course: Json) => course.id === row?.id);
    expect(listed.ports).toEqual([{ name: 'web', port: 80 }]);
    expect(Object.keys(listed).sort()).toEqual(['createAt', 'datasets', 'gpu', 'homePath', 'id', 'image', 'introduction', 'level', 'name', 'ports', 'user']);
  });

  it('compresses a list for a client that accepts gzip', async () => {
    const plain = await platform.call('GET', '/v1/course/level/advance');
    const response = await platform.api.inject({ method: 'GET', url: '/v1/course/level/advance', headers: { 'accept-encoding': 'gzip' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.rawPayload.length).toBeLessThan(plain.text.length);
    expect(JSON.parse(gunzipSync(response.rawPayload).toString('utf8'))).toEqual(plain.body);
  });
});

/** A teacher's own list is kept in memory too, and must never be served stale. */
describe("a teacher's own course list", () => {
  let platform: TestPlatform;
  afterAll(() => platform?.close());

  it('is served from memory until a course or an account changes, then shows the change at once', async () => {
    platform = await startTestPlatform();
    const teacher = await platform.user('owner', ['teacher']);
    const other = await platform.user('other', ['teacher']);
    const own = async (token = teacher.token, body: Json = {}) => {
      const answer = await platform.call('POST', '/v1/course/list', { token, body });
      expect(answer.status, answer.text).toBe(200);
      return answer.body.courses as Json[];
    };
    const made = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'mine', image: 'jupyter/base-notebook', level: 'basic', GPU: 0, datasets: ['mnist'] } });
    expect(made.status).toBe(200);
    expect(await own()).toEqual([made.body.course]);

    const query = vi.spyOn(platform.services.courses, 'listOwnedBy');
    try {
      expect(await own()).toEqual([made.body.course]);
      expect(await own(platform.admin.token, { user: 'OWNER' })).toEqual([made.body.course]);
      expect(query).not.toHaveBeenCalled();
      // A sign-out changes tokens, not courses: the lists stay in memory.
      await platform.services.identity.invalidate((await platform.user('signs-out')).token);
      expect(await own()).toEqual([made.body.course]);
      expect(query).not.toHaveBeenCalled();
      // Another teacher's list is their own, not the cached one.
      expect(await own(other.token)).toEqual([]);
      expect((await platform.call('POST', '/v1/course/list', { token: other.token, body: { user: 'owner' } })).status).toBe(403);

      const second = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'second', image: 'jupyter/base-notebook', level: 'advance', GPU: 0 } });
      expect((await own()).map((course) => course.name)).toEqual(['mine', 'second']);
      await platform.call('DELETE', `/v1/course/delete/${made.body.id}`, { token: teacher.token });
      expect((await own()).map((course) => course.name)).toEqual(['second']);

      // The owner's account goes: the course stays, without an owner's name, in every list.
      expect((await own(platform.admin.token, { user: 'owner' }))[0].user).toBe('owner');
      expect((await platform.call('GET', '/v1/course/level/advance')).body.courses[0].user).toBe('owner');
      expect((await platform.call('DELETE', '/v1/auth/delete', { token: teacher.token })).status).toBe(200);
      expect((await platform.call('GET', '/v1/course/level/advance')).body.courses).toEqual([{ ...second.body.course, user: null }]);
      expect(await own(platform.admin.token, { user: 'owner' })).toEqual([]);
    } finally {
      query.mockRestore();
    }
  });
});
