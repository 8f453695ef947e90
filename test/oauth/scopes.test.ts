import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { FORM, form, signInForCode } from './browser.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';
const OLD_UI = 'https://ui.lab.example/callback';
/** The original UI's authorization request: no state, no PKCE, and scope=read_write. */
const originalUi = (redirectUri = CALLBACK) => ({ response_type: 'code', client_id: 'classlab-web', redirect_uri: redirectUri, scope: 'read_write' });

describe('scopes of the built-in provider (RFC 6749 §3.3)', () => {
  let platform: TestPlatform | undefined;
  afterEach(async () => {
    await platform?.close();
    platform = undefined;
  });

  const start = async (settings: Parameters<typeof startTestPlatform>[0] = {}) => {
    platform = await startTestPlatform(settings);
    return { platform, user: await platform.user('una') };
  };

  it("signs the original UI in with scope=read_write, granting the proxy client's scopes and saying so", async () => {
    const { platform, user } = await start();
    const { code } = await signInForCode(platform, user, originalUi());
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(exchanged.status).toBe(200);
    const introspected = await platform.call('POST', '/v1/proxy/introspection', { body: { token: exchanged.body.token } });
    expect(introspected.body).toMatchObject({ active: true, username: 'una', scope: 'profile' });
  });

  it('grants what is known of several scopes, and answers the granted ones at the token endpoint', async () => {
    const client = { id: 'lab-ui', secret: 'lab-ui-secret-0123456789', redirectUris: ['https://lab.example/cb'], scopes: ['profile', 'jobs'] };
    const { platform, user } = await start({ settings: { oauthClients: [client] } });
    const { code } = await signInForCode(platform, user, { response_type: 'code', client_id: client.id, scope: 'jobs read_write' });
    const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
    const issued = await platform.call('POST', '/oauth/token', {
      headers: { ...FORM, authorization: basic },
      body: form({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUris[0] as string }),
    });
    expect(issued.status).toBe(200);
    expect(issued.body.scope).toBe('jobs');
  });

  it("takes the proxy client's scopes from CLASSLAB_OAUTH_SCOPES, and asks for them on the sign-in page", async () => {
    const { platform, user } = await start({ settings: { oauthScopes: ['profile', 'read_write'] } });
    const { code } = await signInForCode(platform, user, originalUi());
    const { token } = (await platform.call('POST', '/v1/proxy/token', { body: { code } })).body;
    expect((await platform.call('POST', '/v1/proxy/introspection', { body: { token } })).body.scope).toBe('read_write');
    const signIn = await platform.call('GET', '/oauth/sign-in');
    expect(new URL(String(signIn.headers.location)).searchParams.get('scope')).toBe('profile read_write');
  });

  it("accepts the proxy's own id in CLASSLAB_OAUTH_CLIENTS: its redirect URIs, scopes and secret join the proxy's client", async () => {
    const entry = { id: 'classlab-web', secret: 'the-old-ui-secret-0123456789', redirectUris: [OLD_UI], scopes: ['read_write'] };
    const { platform, user } = await start({ settings: { oauthClients: [entry] } });
    const { code, location } = await signInForCode(platform, user, originalUi(OLD_UI));
    expect(location.origin + location.pathname).toBe(OLD_UI);
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(exchanged.status).toBe(200);
    expect((await platform.call('POST', '/v1/proxy/introspection', { body: { token: exchanged.body.token } })).body.scope).toBe('read_write');
    // The old UI's backend, which holds the same secret, may use the token endpoint itself.
    const basic = `Basic ${Buffer.from(`${entry.id}:${entry.secret}`).toString('base64')}`;
    const refreshed = await platform.call('POST', '/oauth/token', { headers: { ...FORM, authorization: basic }, body: form({ grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token }) });
    expect(refreshed.status).toBe(200);
  });

  it('refuses to start when that entry and CLASSLAB_OAUTH_CLIENT_SECRET give two secrets, naming both', async () => {
    const entry = { id: 'classlab-web', secret: 'one-secret-0123456789', redirectUris: [OLD_UI], scopes: ['profile'] };
    await expect(startTestPlatform({ settings: { oauthClients: [entry], oauthClientSecret: 'another-secret-0123456789' } })).rejects.toThrow(
      /CLASSLAB_OAUTH_CLIENTS.*CLASSLAB_OAUTH_CLIENT_SECRET/,
    );
  });

  it('exchanges and refreshes, through /v1/proxy, a code issued to another client whose secret classlab holds', async () => {
    const legacy = { id: 'legacy-ui', secret: 'legacy-ui-secret-0123456789', redirectUris: [OLD_UI], scopes: ['profile'] };
    const { platform, user } = await start({ settings: { oauthClients: [legacy] } });
    const { code } = await signInForCode(platform, user, { response_type: 'code', client_id: legacy.id });
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(exchanged.status).toBe(200);
    expect((await platform.call('POST', '/v1/course/list', { token: exchanged.body.token, body: {} })).status).toBe(200);
    const refreshed = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: exchanged.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    // Still one use per code, whoever exchanges it.
    expect((await platform.call('POST', '/v1/proxy/token', { body: { code } })).status).toBe(400);
  });
});

describe('CLASSLAB_OAUTH_SCOPES', () => {
  it('takes names separated by spaces or commas, or a JSON array in a config file; each once', () => {
    expect(loadConfig({ CLASSLAB_OAUTH_SCOPES: 'profile read_write,profile' }).oauthScopes).toEqual(['profile', 'read_write']);
    expect(loadConfig({}).oauthScopes).toEqual(['profile']);
  });

  it.each(['', 'pro"file', 'a\\b'])('refuses %j in one line naming the key and the whole value', (value) => {
    const refuse = () => loadConfig({ CLASSLAB_OAUTH_SCOPES: value });
    expect(refuse).toThrow('CLASSLAB_OAUTH_SCOPES');
    expect(refuse).toThrow(JSON.stringify(value));
  });
});
