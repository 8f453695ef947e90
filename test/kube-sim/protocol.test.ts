import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimulator } from './index.js';
import { call, deployment, eventually, openWatch } from './test-client.js';

type List = { kind: string; metadata: { resourceVersion: string }; items: KubeObject[] };
const podsPath = '/api/v1/namespaces/default/pods';

function pod(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } };
}

describe('kube-sim REST and watch protocol', () => {
  let sim: KubeSimulator;
  beforeAll(async () => {
    // No nodes and a scheduler that never gets round to it: only these tests change the pods.
    sim = await startKubeSimulator({ nodes: [], watchHistory: 50, bookmarkIntervalMs: 50, delays: { scheduleMs: 600_000 } });
    for (const [name, labels] of [
      ['a', { app: 'x', tier: 'web' }],
      ['b', { app: 'x', tier: 'db' }],
      ['c', { app: 'y' }],
    ] as const) {
      expect((await call(sim, 'POST', podsPath, pod(name, labels))).status).toBe(201);
    }
  });
  afterAll(() => sim.stop());

  const names = async (query: string): Promise<string[]> =>
    (await call<List>(sim, 'GET', `${podsPath}?${query}`)).body.items.map((item) => item.metadata.name ?? '');

  it('lists with a resourceVersion and label selectors of every operator', async () => {
    const list = await call<List>(sim, 'GET', podsPath);
    expect(list.body.kind).toBe('PodList');
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(await names('labelSelector=app%3Dx')).toEqual(['a', 'b']);
    expect(await names('labelSelector=app%3D%3Dx,tier!%3Ddb')).toEqual(['a']);
    expect(await names('labelSelector=tier%20in%20(web,db)')).toEqual(['a', 'b']);
    expect(await names('labelSelector=app%20notin%20(x)')).toEqual(['c']);
    expect(await names('labelSelector=tier')).toEqual(['a', 'b']);
    expect(await names('labelSelector=!tier')).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
  });

  it('refuses a field selector the API server does not support', async () => {
    const reply = await call(sim, 'GET', `${podsPath}?fieldSelector=spec.containers%3Dx`);
    expect(reply.status).toBe(400);
    expect(reply.body['message']).toBe('field label not supported: spec.containers');
  });

  it('creates, gets and deletes, with uid, creationTimestamp, and 404/409 Status objects', async () => {
    const created = await call<KubeObject>(sim, 'POST', podsPath, pod('d', { app: 'z' }));
    expect(created.body.metadata).toMatchObject({ name: 'd', namespace: 'default', uid: expect.any(String), creationTimestamp: expect.any(String) });
    const again = await call(sim, 'POST', podsPath, pod('d', { app: 'z' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'pods "d" already exists' });
    expect((await call<KubeObject>(sim, 'GET', `${podsPath}/d`)).body.metadata.uid).toBe(created.body.metadata.uid);
    expect((await call(sim, 'DELETE', `${podsPath}/d`)).status).toBe(200);
    const gone = await call(sim, 'GET', `${podsPath}/d`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ reason: 'NotFound', message: 'pods "d" not found', details: { name: 'd', kind: 'pods' } });
  });

  it('answers a replace with a stale resourceVersion with 409 Conflict', async () => {
    const current = (await call<KubeObject>(sim, 'GET', `${podsPath}/a`)).body;
    const labelled = { ...current, metadata: { ...current.metadata, labels: { app: 'x', tier: 'web', v: '2' } } };
    expect((await call(sim, 'PUT', `${podsPath}/a`, labelled)).status).toBe(200);
    const stale = await call(sim, 'PUT', `${podsPath}/a`, labelled);
    expect(stale.status).toBe(409);
    expect(stale.body['reason']).toBe('Conflict');
  });

  it('patches with merge, strategic-merge and JSON patch', async () => {
    await call(sim, 'PATCH', `${podsPath}/c`, { metadata: { labels: { merged: 'yes' } } }, 'application/merge-patch+json');
    await call(sim, 'PATCH', `${podsPath}/c`, { metadata: { annotations: { s: '1' } } }, 'application/strategic-merge-patch+json');
    const reply = await call<KubeObject>(sim, 'PATCH', `${podsPath}/c`, [{ op: 'add', path: '/metadata/labels/json', value: 'yes' }], 'application/json-patch+json');
    expect(reply.body.metadata.labels).toEqual({ app: 'y', merged: 'yes', json: 'yes' });
    expect(reply.body.metadata.annotations).toEqual({ s: '1' });
  });

  it('keeps status out of main-resource writes and spec out of status writes', async () => {
    const current = (await call<KubeObject>(sim, 'GET', `${podsPath}/c`)).body;
    const viaMain = await call<KubeObject>(sim, 'PUT', `${podsPath}/c`, { ...current, status: { phase: 'Running' } });
    expect(viaMain.body.status?.['phase']).toBe('Pending');
    const viaStatus = await call<KubeObject>(sim, 'PUT', `${podsPath}/c/status`, {
      ...viaMain.body,
      spec: { ...viaMain.body.spec, nodeName: 'elsewhere' },
      status: { phase: 'Running' },
    });
    expect(viaStatus.body.status?.['phase']).toBe('Running');
    expect(viaStatus.body.spec?.['nodeName']).toBeUndefined();
  });

  it('counts generations on spec changes only', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const created = (await call<KubeObject>(sim, 'POST', path, { ...deployment('gen', { replicas: 0 }), status: { replicas: 9 } })).body;
    expect(created.metadata.generation).toBe(1);
    expect(created.status).toEqual({});
    const labelled = await call<KubeObject>(sim, 'PATCH', `${path}/gen`, { metadata: { labels: { extra: 'yes' } } }, 'application/merge-patch+json');
    expect(labelled.body.metadata.generation).toBe(1);
    const scaled = await call<KubeObject>(sim, 'PATCH', `${path}/gen`, { spec: { replicas: 1 } }, 'application/merge-patch+json');
    expect(scaled.body.metadata.generation).toBe(2);
  });

  it('resumes a watch from a resourceVersion, seeing only later changes in order', async () => {
    const from = (await call<List>(sim, 'GET', podsPath)).body.metadata.resourceVersion;
    await call(sim, 'POST', podsPath, pod('w1', { app: 'w' }));
    const watch = await openWatch(sim, `${podsPath}?watch=1&labelSelector=app%3Dw&resourceVersion=${from}`);
    await call(sim, 'PATCH', `${podsPath}/w1`, { metadata: { annotations: { seen: 'yes' } } }, 'application/merge-patch+json');
    await call(sim, 'DELETE', `${podsPath}/w1`);
    await eventually(() => watch.events.length >= 3, 5000, 'three watch events');
    watch.close();
    expect(watch.events.map((event) => [event.type, event.object.metadata.name])).toEqual([
      ['ADDED', 'w1'],
      ['MODIFIED', 'w1'],
      ['DELETED', 'w1'],
    ]);
    const versions = watch.events.map((event) => Number(event.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions[0]).toBeGreaterThan(Number(from));
  });

  it('shows a label change that leaves the selection as DELETED to a filtered watch', async () => {
    await call(sim, 'POST', podsPath, pod('m1', { app: 'm' }));
    const watch = await openWatch(sim, `${podsPath}?watch=true&labelSelector=app%3Dm`);
    await eventually(() => watch.events.length === 1, 5000, 'the initial ADDED');
    await call(sim, 'PATCH', `${podsPath}/m1`, { metadata: { labels: { app: 'other' } } }, 'application/merge-patch+json');
    await eventually(() => watch.events.length === 2, 5000, 'the DELETED');
    watch.close();
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('answers a watch from a compacted resourceVersion with a 410 ERROR event', async () => {
    const old = (await call<List>(sim, 'GET', podsPath)).body.metadata.resourceVersion;
    // watchHistory is 50: sixty writes push `old` out of the history.
    for (let n = 0; n < 60; n += 1) {
      await call(sim, 'PATCH', `${podsPath}/b`, { metadata: { annotations: { n: String(n) } } }, 'application/merge-patch+json');
    }
    const watch = await openWatch(sim, `${podsPath}?watch=1&resourceVersion=${old}`);
    expect(await watch.ended).toBe('end');
    expect(watch.events).toHaveLength(1);
    expect(watch.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: expect.stringContaining('too old resource version') },
    });
  });

  it('sends bookmarks carrying the current resourceVersion when asked to', async () => {
    const watch = await openWatch(sim, `${podsPath}?watch=1&allowWatchBookmarks=true&labelSelector=app%3Dnothing`);
    await eventually(() => watch.events.length > 0, 5000, 'a bookmark');
    watch.close();
    const list = await call<List>(sim, 'GET', podsPath);
    expect(watch.events[0]).toMatchObject({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: list.body.metadata.resourceVersion } } });
  });

  it('ends a watch after timeoutSeconds', async () => {
    const watch = await openWatch(sim, `${podsPath}?watch=1&timeoutSeconds=1&labelSelector=app%3Dnothing`);
    expect(await watch.ended).toBe('end');
  });

  it('serves discovery for kubectl and client libraries', async () => {
    const core = await call<{ resources: { name: string; shortNames?: string[]; namespaced: boolean; verbs: string[] }[] }>(sim, 'GET', '/api/v1');
    expect(core.body.resources.find((r) => r.name === 'pods')).toMatchObject({ shortNames: ['po'], namespaced: true, verbs: expect.arrayContaining(['watch', 'patch']) });
    expect(core.body.resources.find((r) => r.name === 'nodes')).toMatchObject({ shortNames: ['no'], namespaced: false });
    const apps = await call<{ resources: { name: string; shortNames?: string[] }[] }>(sim, 'GET', '/apis/apps/v1');
    expect(apps.body.resources.find((r) => r.name === 'deployments')?.shortNames).toEqual(['deploy']);
    const groups = await call<{ groups: { name: string }[] }>(sim, 'GET', '/apis');
    expect(groups.body.groups.map((g) => g.name)).toEqual(['apps', 'storage.k8s.io', 'coordination.k8s.io', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'policy', 'scheduling.k8s.io']);
    expect((await call(sim, 'GET', '/version')).body['gitVersion']).toMatch(/^v1\.32\./);
  });

  it('serves coordination.k8s.io Leases with optimistic concurrency, for leader election', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'classlab-reconciler' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } };
    const created = (await call<KubeObject>(sim, 'POST', leases, lease)).body;
    const taken = await call<KubeObject>(sim, 'PUT', `${leases}/classlab-reconciler`, { ...created, spec: { holderIdentity: 'b', leaseDurationSeconds: 15 } });
    expect(taken.body.spec?.['holderIdentity']).toBe('b');
    const late = await call(sim, 'PUT', `${leases}/classlab-reconciler`, { ...created, spec: { holderIdentity: 'c', leaseDurationSeconds: 15 } });
    expect(late.status).toBe(409);
  });

  it('refuses a wrong bearer token with 401', async () => {
    const response = await fetch(`${sim.url}${podsPath}`, { headers: { authorization: 'Bearer wrong' } });
    expect(response.status).toBe(401);
  });
});
