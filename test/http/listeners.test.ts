import dns from 'node:dns';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HttpLimits } from '../../src/config/http-settings.js';
import { buildApiApp } from '../../src/api-app.js';
import type { HttpApp } from '../../src/http/server.js';
import { buildIdentityApp } from '../../src/identity/http.js';
import { listen, StartError } from '../../src/main.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * Both listeners on real loopback sockets: clients that send slowly are cut off, and connections
 * past the limit are refused, so that slow clients cannot hold every file descriptor.
 */

const SHORT: HttpLimits = { headersTimeoutMs: 1000, requestTimeoutMs: 1000, maxConnections: 100 };

interface Ending {
  /** What the server wrote before it closed the connection. */
  received: string;
}

/** Opens a socket; `drip` writes one byte of `text` at a time until the server closes it. */
function slowClient(port: number, head: string, drip: string): Promise<Ending> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.writable) return;
        socket.write(drip[sent % drip.length] as string);
        sent += 1;
      }, 100);
    });
    // A reset is a close too: the server may destroy the socket without a word.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received });
    });
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

async function connectionsOf(app: HttpApp): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

async function portOf(app: HttpApp): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

describe('listeners on loopback', () => {
  let platform: TestPlatform;
  const apps: HttpApp[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await platform?.close();
  });

  async function listening(which: 'api' | 'identity', limits: HttpLimits): Promise<number> {
    const { services } = platform;
    const app =
      which === 'api'
        ? await buildApiApp({ services, logger: platform.api.log, corsOrigins: false, limits })
        : await buildIdentityApp({ identity: services.identity, logger: platform.api.log, selfRegistration: true, limits });
    apps.push(app);
    return portOf(app);
  }

  describe.each([
    ['api', '/v1/auth/register'],
    ['identity', '/user'],
  ] as const)('the %s listener', (which, path) => {
    // The identity service answers only 200, 400 and 500: its timeout is a 400 in its envelope.
    const timedOut = { api: 'HTTP/1.1 408', identity: 'HTTP/1.1 400' };
    it('closes a connection whose body arrives a byte at a time, once the request timeout has passed', async () => {
      const port = await listening(which, SHORT);
      const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
      const ending = await slowClient(port, head, '{"username":"slow","password":"slow-password"        ');
      // Closed with a timeout in the listener's envelope, or without a word; never an answer to the half-sent body.
      expect(ending.received === '' || ending.received.startsWith(timedOut[which]), ending.received).toBe(true);
    });

    it('closes a connection whose headers arrive a byte at a time', async () => {
      const port = await listening(which, SHORT);
      const ending = await slowClient(port, `GET ${path} HTTP/1.1\r\n`, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
      expect(ending.received === '' || ending.received.startsWith(timedOut[which]), ending.received).toBe(true);
    });

    it('closes connections past its limit as they arrive, and serves again once they are gone', async () => {
      const port = await listening(which, { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxConnections: 2 });
      const held = [await openSocket(port), await openSocket(port)];
      await vi.waitFor(async () => expect(await connectionsOf(apps.at(-1) as HttpApp)).toBe(2));
      const refused = await slowClient(port, `GET ${path} HTTP/1.1\r\n`, 'X-Wait: a\r\n');
      expect(refused.received).toBe('');
      for (const socket of held) socket.destroy();
      await vi.waitFor(async () => expect(await connectionsOf(apps.at(-1) as HttpApp)).toBe(0));
      const answer = await fetch(`http://127.0.0.1:${port}/docs/json`);
      expect(answer.status).toBe(200);
    });
  });

  it('a host that names nothing stops the start with one line naming HOST and its value', async () => {
    const original = dns.lookup;
    const lookup = vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, ...rest: unknown[]) => {
      const callback = rest.at(-1) as (error: NodeJS.ErrnoException | null) => void;
      if (hostname !== 'not-a-host') return (original as (...args: unknown[]) => void)(hostname, ...rest);
      process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname })));
    }) as typeof dns.lookup);
    try {
      const app = await buildApiApp({ services: platform.services, logger: platform.api.log, corsOrigins: false });
      apps.push(app);
      const failure = listen(app, { host: 'HOST', port: 'PORT' }, 'not-a-host', 0);
      await expect(failure).rejects.toBeInstanceOf(StartError);
      await expect(failure).rejects.toThrow(/^HOST: "not-a-host" is not an address or a known name of this machine \(ENOTFOUND\)$/);
    } finally {
      lookup.mockRestore();
    }
  });
});
