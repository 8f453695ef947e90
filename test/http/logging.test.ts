import { DrizzleQueryError, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http/envelope.js';
import { redactUrl } from '../../src/http/logging.js';
import { capturingLogger } from '../support/logs.js';
import { startTestPlatform } from '../support/platform.js';

describe('logs', () => {
  it('keep the SQL and the cause of a failed query, but never its parameters', () => {
    const { logger, lines } = capturingLogger();
    const query = new DrizzleQueryError(
      'insert into "users" ("name", "password_hash") values ($1, $2)',
      ['alice', '$argon2id$v=19$secret-hash\nwith a line break'],
      new Error('duplicate key value violates unique constraint "users_name_unique"'),
    );
    logger.error({ err: new HttpError(500, 'Failed to create user', { cause: query }) }, 'request failed');
    const line = lines.join('');
    expect(line).toContain('Failed query: insert into \\"users\\"');
    expect(line).toContain('duplicate key value violates unique constraint');
    expect(line).toContain('Failed to create user');
    expect(line).not.toContain('secret-hash');
    expect(line).not.toContain('with a line break');
  });

  it('leave other errors as they are', () => {
    const { logger, lines } = capturingLogger();
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    logger.error({ err: error }, 'failed');
    const entry = JSON.parse(lines[0] as string);
    expect(entry.err).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' });
  });

  it.each([
    ['/token/roles?token=abc', '/token/roles?token=[redacted]'],
    ['/x?a=1&Token=abc&b=2', '/x?a=1&Token=[redacted]&b=2'],
    ['/x?refresh_token=r&code=c&password=p', '/x?refresh_token=[redacted]&code=[redacted]&password=[redacted]'],
    ['/x?%74oken=abc', '/x?token=[redacted]'],
    ['/oauth/callback?id_token=eyJ.x.y&state=s', '/oauth/callback?id_token=[redacted]&state=s'],
    ['/x?access_token=a&client_secret=c&subject_token=t&code_verifier=v', '/x?access_token=[redacted]&client_secret=[redacted]&subject_token=[redacted]&code_verifier=[redacted]'],
    ['/x?ID_TOKEN=a&token[]=b&api_key=k', '/x?ID_TOKEN=[redacted]&token[]=[redacted]&api_key=[redacted]'],
    ['/v1/course/list', '/v1/course/list'],
  ])('redact secrets in the query of %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('of a request carry no token of its query', async () => {
    const platform = await startTestPlatform();
    try {
      const secret = 'eyJhbGciOiJSUzI1NiJ9.id-token-that-must-not-be-logged.sig';
      expect((await platform.call('GET', `/v1/course/level/basic?id_token=${secret}&page=2`)).status).toBe(200);
      const logged = platform.logs.join('');
      expect(logged).toContain('/v1/course/level/basic?id_token=[redacted]&page=2');
      expect(logged).not.toContain(secret);
    } finally {
      await platform.close();
    }
  });

  it('of a database failure in a route carry no query parameters', async () => {
    const platform = await startTestPlatform();
    try {
      // A trigger makes the course insert fail inside the database, with the name as a parameter.
      await platform.store.db.execute(
        sql.raw(`create function refuse_course() returns trigger language plpgsql as $$
          begin raise exception 'courses are closed'; end $$`),
      );
      await platform.store.db.execute(
        sql.raw('create trigger refuse_course before insert on courses for each row execute function refuse_course()'),
      );
      const teacher = await platform.user('tina', ['teacher']);
      const secretName = 'course-name-that-must-not-be-logged';
      const answer = await platform.call('POST', '/v1/course/create', {
        token: teacher.token,
        body: { name: secretName, image: 'i', level: 'basic', GPU: 0 },
      });
      expect(answer).toMatchObject({ status: 500, body: { message: 'Failed to create course information: courses are closed' } });
      const logged = platform.logs.join('');
      expect(logged).toContain('courses are closed');
      expect(logged).toContain('Failed query: insert into');
      expect(logged).not.toContain(secretName);
    } finally {
      await platform.close();
    }
  });
});
