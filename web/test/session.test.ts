// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, SessionEndedError } from '../src/api/client';
import { currentToken, sessionState, startSession } from '../src/api/session';
import { json, mockFetch, signedIn } from './fetch-mock';

afterEach(() => vi.unstubAllGlobals());

describe('session', () => {
  it('starts signed out, without a message, when there is no cookie', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => json(401, { error: true, message: 'Your session has ended; please sign in again' }) });
    expect(await startSession()).toBe(false);
    expect(sessionState()).toEqual({ status: 'signed-out' });
  });

  it('keeps the token in memory and sends it as a header; the refresh asks with X-Classlab-App', async () => {
    const calls = mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'POST /v1/job/list': () => json(200, { error: false, jobs: [] }),
    });
    expect(await startSession()).toBe(true);
    expect(currentToken()).toBe('token-1');
    expect(localStorage.length + sessionStorage.length).toBe(0);
    await api('POST', '/v1/job/list', { body: {} });
    expect((calls[0]?.init.headers as Record<string, string>)['X-Classlab-App']).toBe('1');
    expect((calls[1]?.init.headers as Record<string, string>).Authorization).toBe('Bearer token-1');
  });

  it('renews a refused token once; when the renewal fails too, ends the session with the server’s message', async () => {
    let refreshes = 0;
    mockFetch({
      'POST /oauth/session/refresh': () => (++refreshes === 1 ? signedIn() : json(401, { error: true, message: 'Your session has ended; please sign in again' })),
      'POST /v1/job/list': () => json(403, { error: true, message: 'Invalid API token' }),
    });
    await startSession();
    await expect(api('POST', '/v1/job/list', { body: {} })).rejects.toBeInstanceOf(SessionEndedError);
    expect(refreshes).toBe(2);
    expect(sessionState()).toEqual({ status: 'signed-out', message: 'Your session has ended; please sign in again' });
    expect(currentToken()).toBeUndefined();
  });

  it('a 403 that is a permission refusal is an ordinary error, and the session stays', async () => {
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'DELETE /v1/course/delete/x': () => json(403, { error: true, message: 'Permission denied: only the course owner or an admin can delete this course' }),
    });
    await startSession();
    await expect(api('DELETE', '/v1/course/delete/x')).rejects.toMatchObject({ status: 403, message: expect.stringContaining('Permission denied') });
    expect(sessionState().status).toBe('signed-in');
  });
});
