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
    ['/oauth/app/sign-in', 'get'],
    ['/oauth/session/refresh', 'post'],
    ['/oauth/session/sign-out', 'post'],
    ['/.well-known/oauth-authorization-server', 'get'],
  ])('lists the OAuth route %s (%s)', (path, method) => {
    expect(api.paths[path]?.[method]).toMatchObject({ tags: ['oauth'], summary: expect.any(String) });
  });

  it.each([
    ['/v1/course/update/{id}', 'put'],
    ['/v1/user/list', 'get'],
    ['/v1/user/role', 'post'],
    ['/v1/user/role', 'delete'],
    ['/v1/cluster/nodes', 'get'],
    ['/v1/job/all', 'get'],
  ])('documents the web app\'s v1 route %s (%s), behind the bearer token', (path, method) => {
    expect(api.paths[path]?.[method]).toMatchObject({ summary: expect.any(String), security: [{ bearer: [] }] });
  });

  it('documents the cull times of job list items', () => {
    const list = api.paths['/v1/job/list'].post.responses['200'].content['application/json'].schema;
    expect(Object.keys(list.properties.jobs.items.properties)).toEqual(expect.arrayContaining(['user', 'cullAt', 'idleCullAt']));
  });

  it('keeps the app\'s /assets route out of the document', () => {
    expect(Object.keys(api.paths).filter((path) => path.startsWith('/assets'))).toEqual([]);
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
