/** Free TCP ports on the job host, and URLs that name them. */

import { createServer } from 'node:net';

/** Asks the kernel for a free port on `host`: bind port 0, read what it gave, let it go. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error(`no port was assigned on ${host}`)) : resolve(port)));
    });
  });
}

/** Whether something on this machine already listens on host:port. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(true));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** `http://127.0.0.1:8888`, `http://[::1]:8888`: IPv6 literals need brackets in a URL. */
export function httpOrigin(host: string, port: number): string {
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${urlHost}:${port}`;
}
