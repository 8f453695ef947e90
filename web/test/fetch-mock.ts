import { vi } from 'vitest';

export type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Answers fetch from a table of "METHOD /path" → handler; records each call. */
export function mockFetch(routes: Record<string, Handler>) {
  const calls: { key: string; init: RequestInit }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const key = `${init.method ?? 'GET'} ${url.split('?')[0]}`;
    calls.push({ key, init });
    const handler = routes[key];
    if (!handler) throw new Error(`unexpected fetch ${key}`);
    return handler(url, init);
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

export const signedIn = (roles = ['student']) =>
  json(200, { error: false, access_token: 'token-1', expires_in: 3600, user: { name: 'sam', roles } });
