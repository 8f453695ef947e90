/**
 * What Node refuses before a route sees it, such as a URL over its header limit, is answered on
 * real sockets in the listener's envelope, not in Node's or Fastify's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../src/http/server.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const HUGE_QUERY = `?q=${'a'.repeat(100 * 1024)}`;

async function get(app: HttpApp, path: string): Promise<{ status: number; body: unknown }> {
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('requests Node refuses', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform.close());

  it('a 100 KB URL is 431 in the API envelope', async () => {
    const answer = await get(platform.api, `/v1/course/level/basic${HUGE_QUERY}`);
    expect(answer).toEqual({
      status: 431,
      body: { error: true, message: 'Request header fields too large: the URL and headers may hold 16 KB together' },
    });
  });

  it('a 100 KB URL is 400 in the identity envelope, whose spec has no 431', async () => {
    const answer = await get(platform.identityApp, `/token/roles${HUGE_QUERY}`);
    expect(answer).toEqual({
      status: 400,
      body: {
        status: 40011,
        message: 'invalid argument',
        data: { reason: 'Request header fields too large: the URL and headers may hold 16 KB together' },
      },
    });
  });
});
