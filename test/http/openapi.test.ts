import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Json, type TestPlatform } from '../support/platform.js';

/** What the OpenAPI documents say about what is not plain JSON: streams, OAuth forms, admin tokens. */
describe('the OpenAPI documents', () => {
  let platform: TestPlatform;
  let api: Json;
  let identity: Json;

  beforeAll(async () => {
    platform = await startTestPlatform();
    api = (await platform.call('GET', '/docs/json')).body;
    identity = (await platform.callIdentity('GET', '/docs/json')).body;
  });
  afterAll(() => platform?.close());

  it('gives /v1/job/events a 200 of text/event-stream', () => {
    const ok = api.paths['/v1/job/events/{id}'].get.responses['200'];
    expect(ok.description).toEqual(expect.any(String));
    expect(Object.keys(ok.content)).toEqual(['text/event-stream']);
  });

  it.each([
    ['/oauth/authorize', 'get'],
    ['/oauth/authorize', 'post'],
    ['/oauth/token', 'post'],
    ['/oauth/introspect', 'post'],
    ['/oauth/revoke', 'post'],
    ['/oauth/sign-in', 'get'],
    ['/oauth/callback', 'get'],
    ['/.well-known/oauth-authorization-server', 'get'],
  ])('lists the OAuth route %s (%s)', (path, method) => {
    expect(api.paths[path]?.[method]).toMatchObject({ tags: ['oauth'], summary: expect.any(String) });
  });

  it.each([
    ['/user/role', 'post'],
    ['/role', 'post'],
    ['/role', 'delete'],
  ])('declares the admin bearer token on the identity route %s (%s)', (path, method) => {
    expect(identity.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(identity.paths[path][method].security).toEqual([{ bearer: [] }]);
  });

  it('declares the bearer token of AuthenticateUser optional, and none on self-registration', () => {
    expect(identity.paths['/user/auth'].post.security).toEqual([{}, { bearer: [] }]);
    expect(identity.paths['/user'].post.security).toBeUndefined();
  });
});
