// RBAC for ServiceAccount tokens: decided by the stored Roles and bindings, refused as kube-apiserver refuses.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeSimulator } from './index.js';

const account = { namespace: 'ops', name: 'robot' };
const user = 'system:serviceaccount:ops:robot';

describe('kube-sim RBAC', () => {
  let sim: KubeSimulator;
  let dir: string;
  let token: string;
  const as = async (path: string, bearer = token): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const rules = (resources: string[], verbs: string[], resourceNames?: string[]) => [{ apiGroups: [''], resources, verbs, ...(resourceNames ? { resourceNames } : {}) }];
  const subjects = [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }];

  beforeAll(async () => {
    sim = await startKubeSimulator({ namespace: 'labs' });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-rbac-'));
    sim.writeKubeconfig(join(dir, 'kubeconfig'), { serviceAccount: account });
    token = /token: (\S+)/.exec(readFileSync(join(dir, 'kubeconfig'), 'utf8'))?.[1] ?? '';
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown token with 401, and serves discovery to the account', async () => {
    expect((await as('/api/v1/namespaces/labs/pods', 'not-issued')).status).toBe(401);
    expect((await as('/apis')).status).toBe(200);
  });

  it('refuses what no binding grants with the API server\'s Forbidden Status', async () => {
    expect(await as('/api/v1/namespaces/labs/pods')).toEqual({
      status: 403,
      body: {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
        message: `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "labs"`,
        details: { group: '', kind: 'pods' },
      },
    });
    expect((await as('/api/v1/nodes/node-1')).body['message']).toBe(`nodes "node-1" is forbidden: User "${user}" cannot get resource "nodes" in API group "" at the cluster scope`);
    expect((await as('/apis/apps/v1/namespaces/labs/deployments?watch=true')).body['message']).toMatch(/^deployments\.apps is forbidden: .* cannot watch resource "deployments" in API group "apps"/);
    expect(sim.denials().map((denial) => denial.key)).toEqual(['list pods', 'get nodes', 'watch deployments']);
  });

  it('grants a Role only in its namespace, and a ClusterRole through a RoleBinding only there too', async () => {
    sim.applyObject('roles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pods', namespace: 'labs' }, rules: rules(['pods'], ['list']) } as never);
    sim.applyObject('rolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'pods', namespace: 'labs' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pods' }, subjects } as never);
    expect((await as('/api/v1/namespaces/labs/pods')).status).toBe(200);
    expect((await as('/api/v1/namespaces/default/pods')).status).toBe(403);
    expect((await as('/api/v1/pods')).status).toBe(403);

    sim.applyObject('clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'services' }, rules: rules(['services'], ['get'], ['kubernetes']) } as never);
    sim.applyObject('rolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'services', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'services' }, subjects } as never);
    expect((await as('/api/v1/namespaces/default/services/kubernetes')).status).toBe(200);
    // resourceNames: only that object, and never a list.
    expect((await as('/api/v1/namespaces/default/services')).status).toBe(403);
    expect((await as('/api/v1/namespaces/labs/services/kubernetes')).status).toBe(403);
  });

  it('grants a ClusterRole everywhere through a ClusterRoleBinding, cluster-scoped kinds included', async () => {
    expect((await as('/api/v1/nodes')).status).toBe(403);
    sim.applyObject('clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'nodes' }, rules: rules(['nodes', 'pods'], ['list']) } as never);
    sim.applyObject('clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'nodes' }, subjects } as never);
    expect((await as('/api/v1/nodes')).status).toBe(200);
    expect((await as('/api/v1/pods')).status).toBe(200);
    expect((await as('/api/v1/namespaces/default/pods')).status).toBe(200);
  });
});
