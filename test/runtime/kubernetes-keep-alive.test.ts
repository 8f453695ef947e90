import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { makeClients } from '../../src/runtime/kubernetes/clients.js';

/** An API server that answers every call with an empty list, counting the connections made to it. */
async function countingApiServer(): Promise<{ server: Server; url: string; connections: () => number; requests: () => number }> {
  let connections = 0;
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items: [] }));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, requests: () => requests };
}

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kubeConfig;
}

describe('Kubernetes API clients', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('keep one connection open across calls, of every API group, instead of one connection per call', async () => {
    const api = await countingApiServer();
    server = api.server;
    const clients = makeClients(kubeConfigFor(api.url));
    for (let call = 0; call < 3; call += 1) {
      await clients.core.listNamespacedService({ namespace: 'labs' });
      await clients.apps.listNamespacedDeployment({ namespace: 'labs' });
    }
    await clients.storage.listStorageClass();
    expect(api.requests()).toBe(7);
    expect(api.connections()).toBe(1);
  });
});
