/**
 * A tiny load balancer for tests, as a Kubernetes Service with readiness probes behaves: requests
 * go round-robin to the backends whose /readyz answered 200 at the last look, and are never
 * retried, so that a request a backend drops is seen as dropped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const PROBE_INTERVAL_MS = 100;

export interface RoundRobin {
  url: string;
  /** Backends that answered 200 on /readyz at the last probe. */
  ready(): string[];
  /** Requests sent to each backend. */
  sent: Map<string, number>;
  close(): Promise<void>;
}

export async function startRoundRobin(backends: readonly string[]): Promise<RoundRobin> {
  let ready: string[] = [];
  let next = 0;
  const sent = new Map<string, number>();
  let probing = true;

  const probe = async () => {
    while (probing) {
      const answers = await Promise.all(
        backends.map((backend) =>
          fetch(`${backend}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
            (response) => response.status === 200,
            () => false,
          ),
        ),
      );
      ready = backends.filter((_, index) => answers[index]);
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  };
  const probing$ = probe();

  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const candidates = ready;
    if (candidates.length === 0) {
      response.writeHead(503).end('no ready backend');
      return;
    }
    const backend = candidates[next++ % candidates.length] as string;
    sent.set(backend, (sent.get(backend) ?? 0) + 1);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    try {
      const answer = await fetch(`${backend}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
    } catch (error) {
      response.writeHead(502).end(`backend ${backend} failed: ${(error as Error).message}`);
    }
  };

  const server: Server = createServer((request, response) => void forward(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ready: () => ready,
    sent,
    async close() {
      probing = false;
      await probing$;
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
