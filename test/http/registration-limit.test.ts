import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('self-registration is limited per address', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ settings: { registrationRateLimit: { max: 2, windowSeconds: 600 } } });
  });
  afterAll(() => platform?.close());

  const from = (remoteAddress: string) => ({
    v1: (username: string) => platform.call('POST', '/v1/auth/register', { body: { username, password: 'student-pass' }, remoteAddress }),
    identity: (user_name: string) => platform.callIdentity('POST', '/user', { body: { user_name, password: 'student-pass' }, remoteAddress }),
  });

  it('counts both registration routes together, then answers 429 with Retry-After, and 40029 on the identity service', async () => {
    const attacker = from('203.0.113.7');
    expect((await attacker.v1('sock-1')).status).toBe(200);
    expect((await attacker.identity('sock-2')).body.status).toBe(20002);
    const refused = await attacker.v1('sock-3');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(590);
    expect(refused.body).toEqual({ error: true, message: expect.stringContaining('too many accounts registered from this address: 2 in 600 s (CLASSLAB_REGISTRATION_RATE_LIMIT)') });
    const identityRefused = await attacker.identity('sock-4');
    expect(identityRefused.status).toBe(400);
    expect(identityRefused.body).toMatchObject({ status: 40029, message: 'too many attempts', data: { retry_after: expect.any(Number) } });
    // Nothing was written for the refused ones.
    expect(await platform.services.identity.findUser({ name: 'sock-3' })).toBeUndefined();
    expect(await platform.services.identity.findUser({ name: 'sock-4' })).toBeUndefined();
  });

  it('lets another address register', async () => {
    expect((await from('198.51.100.20').v1('classmate')).status).toBe(200);
  });

  it('is a setting: N/duration, or off', () => {
    expect(loadConfig({}).registrationRateLimit).toEqual({ max: 30, windowSeconds: 600 });
    expect(loadConfig({ CLASSLAB_REGISTRATION_RATE_LIMIT: '5/1h' }).registrationRateLimit).toEqual({ max: 5, windowSeconds: 3600 });
    expect(loadConfig({ CLASSLAB_REGISTRATION_RATE_LIMIT: 'off' }).registrationRateLimit).toBeUndefined();
    expect(() => loadConfig({ CLASSLAB_REGISTRATION_RATE_LIMIT: 'lots' })).toThrow('Invalid configuration: CLASSLAB_REGISTRATION_RATE_LIMIT must be a count per duration such as 30/10m, or off, got "lots"');
  });
});
