import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { Random, randomJson, randomRawBody, replayHint, runSeed } from './random.js';
import { RAISED_LIMITS } from './world.js';

/**
 * The same hostility over real sockets, where inject() cannot drop a connection: every request,
 * however broken, gets an HTTP answer in the listener's envelope before the socket closes, and
 * the server keeps answering afterwards.
 */

const FILE = 'test/hostile/connections.test.ts';
const SEED = runSeed();
const HINT = replayHint(SEED, FILE);
/** Longer than any answer here needs: a socket still silent after it was dropped. */
const NO_ANSWER_MS = 15_000;

/** Sends raw bytes and half-closes; resolves with everything the server wrote back. */
function exchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), NO_ANSWER_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(bytes);
  });
}

describe(`hostile requests over real sockets (${HINT})`, () => {
  let platform: TestPlatform;
  let apiPort: number;
  let identityPort: number;
  const random = new Random(SEED);

  beforeAll(async () => {
    platform = await startTestPlatform({ settings: RAISED_LIMITS });
    await platform.api.listen({ host: '127.0.0.1', port: 0 });
    await platform.identityApp.listen({ host: '127.0.0.1', port: 0 });
    apiPort = (platform.api.server.address() as AddressInfo).port;
    identityPort = (platform.identityApp.server.address() as AddressInfo).port;
  });
  afterAll(() => platform?.close());

  /** Requests that are HTTP only in part: each must still be answered. */
  function brokenRequest(): string | Buffer {
    const body = random.chance(0.5) ? JSON.stringify(randomJson(random)) : randomRawBody(random);
    const length = Buffer.byteLength(body);
    const path = random.pick(['/v1/course/create', '/v1/health/database', '/user', '/user/auth', '/v1/job/list', '/%', '/%00', `/${'a'.repeat(9000)}`]);
    return random.pick<() => string | Buffer>([
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n${body}`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nContent-Length: ${length + 1}\r\n\r\n${body}`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${body}`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(random.int(20_000, 100_000))}\r\n\r\n`,
      () => `G\u00e9T ${path} HTTP/1.1\r\n\r\n`,
      () => `POST ${path} HTTP/9.9\r\nHost: x\r\n\r\n`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n`,
      () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`,
      // Bytes that cannot start a request (blank lines before one are allowed, and answer nothing).
      () => Buffer.from([0x01, ...Array.from({ length: random.int(0, 300) }, () => random.int(0, 255))]),
    ])();
  }

  it.each([
    ['API', () => apiPort, /^\{"error":true,"message":"[^"]+"/, /^[1-4]\d\d$/],
    // The identity spec's HTTP statuses are 200, 400 and 500 only.
    ['identity service', () => identityPort, /^\{"status":\d+,"message":"[^"]+"/, /^(200|400)$/],
  ])('the %s answers every broken request before it closes, in its envelope', async (_name, port, envelope, allowed) => {
    const failures: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const request = brokenRequest();
      const answer = await exchange(port(), request);
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
      const sent = JSON.stringify(request.toString('latin1').slice(0, 160));
      if (!status) failures.push(`no answer to ${sent}: got ${JSON.stringify(answer.slice(0, 100))}`);
      else if (!allowed.test(String(status))) failures.push(`${status} to ${sent}: ${answer.slice(0, 300)}`);
      else if (status >= 400 && !envelope.test(rest.join('\r\n\r\n').replace(/^[0-9a-f]+\r\n/, ''))) failures.push(`not in the envelope, to ${sent}: ${answer.slice(0, 300)}`);
    }
    expect(failures, HINT).toEqual([]);
    const health = await fetch(`http://127.0.0.1:${apiPort}/v1/health/kubernetes`);
    expect(health.status).toBe(200);
  });
});
