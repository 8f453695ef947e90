import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Answer, type TestPlatform } from '../support/platform.js';
import { Random, randomString, replayHint, runSeed } from './random.js';

/**
 * The other suites raise the limits so that they see the routes; this one keeps them low and
 * runs into them: past a limit the answer is 429 on v1 and 40029 on the identity service, never
 * a 5xx, whatever the rest of the request is.
 */

const FILE = 'test/hostile/limits.test.ts';
const SEED = runSeed();
const HINT = replayHint(SEED, FILE);
const ADDRESS = '203.0.113.66';

describe(`limits answer 429 and 40029, not 5xx (${HINT})`, () => {
  let platform: TestPlatform;
  const random = new Random(SEED);

  beforeAll(async () => {
    platform = await startTestPlatform({
      settings: { registrationRateLimit: { max: 3, windowSeconds: 600 }, signInFailuresPerUser: 3, oauthRateLimit: 5 },
    });
  });
  afterAll(() => platform?.close());

  const expectNo5xx = (answer: Answer, what: string) => expect(answer.status, `${what}: ${answer.text} (${HINT})`).toBeLessThan(500);

  it('registration: 429 on v1 and 40029 on the identity service once the address has registered its share', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i += 1) {
      const name = `reg${i}-${random.int(0, 1e6)}`;
      // A malformed body is a 400 before any limit counts it: only the two before the last may be one.
      const password = i < 6 || i > 7 || random.chance(0.5) ? 'student-pass' : randomString(random, 30);
      answers.push(
        i % 2 === 0
          ? await platform.call('POST', '/v1/auth/register', { body: { username: name, password }, remoteAddress: ADDRESS })
          : await platform.callIdentity('POST', '/user', { body: { user_name: name, password }, remoteAddress: ADDRESS }),
      );
    }
    for (const answer of answers) expectNo5xx(answer, 'register');
    const last = answers.slice(-2);
    expect(last[0]).toMatchObject({ status: 429, body: { error: true } });
    expect(last[1]).toMatchObject({ status: 400, body: { status: 40029, message: 'too many attempts', data: { retry_after: expect.any(Number) } } });
  });

  it('wrong passwords: 40029 for the locked name, on AuthenticateUser and DeleteUser alike, even for the right password', async () => {
    const user = await platform.user('locked-out');
    for (let i = 0; i < 6; i += 1) {
      const answer = await platform.callIdentity('POST', '/user/auth', { body: { user_name: user.name, password: randomString(random, 40) }, remoteAddress: ADDRESS });
      expectNo5xx(answer, 'a wrong password');
      expect(answer.status).toBe(400);
    }
    const right = await platform.callIdentity('POST', '/user/auth', { body: { user_name: user.name, password: user.password } });
    expect(right.body).toMatchObject({ status: 40029, data: { retry_after: expect.any(Number) } });
    const deleting = await platform.callIdentity('DELETE', '/user', { body: { user_name: user.name, password: user.password } });
    expect(deleting.body).toMatchObject({ status: 40029 });
    expect(await platform.services.identity.findUser({ name: user.name })).toBeDefined();
  });

  it('token exchanges: 429 in the v1 envelope past CLASSLAB_OAUTH_RATE_LIMIT', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i += 1) {
      answers.push(await platform.call('POST', '/v1/proxy/token', { body: { code: randomString(random, 60) || 'x' }, remoteAddress: ADDRESS }));
    }
    for (const answer of answers) expectNo5xx(answer, 'exchange');
    expect(answers.at(-1)).toMatchObject({ status: 429, body: { error: true, message: expect.any(String) } });
  });
});
