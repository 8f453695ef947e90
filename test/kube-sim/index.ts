// A Kubernetes API server simulator for tests and for people: real REST and watch protocol,
// official-schema validation, a deployment controller, a GPU-aware scheduler, kubelets that pull
// (or fail to pull) images, and fault injection. See README.md in this folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceApi } from './api.js';
import { Faults, type FailureRule } from './faults.js';
import { Kubelets } from './kubelet.js';
import { writeKubeconfigFile } from './kubeconfig.js';
import { buildNode, defaultNodes, notReadyTaint, readyCondition, type SimNode } from './nodes.js';
import { setCondition } from './pod-resources.js';
import { RbacAuthorizer, type Denial, type ServiceAccountRef } from './rbac.js';
import { EventRecorder } from './recorder.js';
import { apiVersionOf, resourceByName } from './resources.js';
import { Scheduler } from './scheduler.js';
import { createHandler } from './server.js';
import { simRoutes } from './sim-routes.js';
import { ObjectStore } from './store.js';
import { DEFAULT_STORAGE_CLASSES, VolumeBinder, storageClassObject, type SimStorageClass } from './volumes.js';
import { isRecord, type KubeObject } from './types.js';
import { WatchHub } from './watch.js';
import { WorkloadControllers } from './workloads.js';

export type { KubeObject, ObjectMeta, OwnerReference } from './types.js';
export type { SimNode } from './nodes.js';
export type { FailureRule } from './faults.js';
export type { SimStorageClass } from './volumes.js';
export type { Denial, ServiceAccountRef } from './rbac.js';

export interface KubeSimOptions {
  /** 0 or undefined: a random free port. */
  port?: number;
  /** Default: node-1 and node-2 with 2 GPUs each. */
  nodes?: SimNode[];
  /** PVC names created Bound in the namespace, e.g. ['dataset-mnist'] (volumes an administrator provisioned). */
  datasets?: string[];
  /**
   * Default: `standard`, the default class, which allows volume expansion. A claim of an existing
   * class binds at once; with `[]`, a claim naming no class stays Pending (FailedBinding).
   */
  storageClasses?: SimStorageClass[];
  /** Default 'default'; 'default', 'kube-system', 'kube-public' and 'kube-node-lease' always exist. */
  namespace?: string;
  /** Default 'nvidia.com/gpu'. */
  gpuResource?: string;
  /** Controller delays; 20 ms each by default. */
  delays?: { scheduleMs?: number; pullMs?: number; readyMs?: number };
  /** Glob patterns (`*`, `?`) of images whose pull fails: ErrImagePull, then ImagePullBackOff. */
  failingImages?: string[];
  /** Watch events kept for resuming; older resourceVersions get 410 Gone. Default 1000. */
  watchHistory?: number;
  /** How often watches that allow bookmarks get one. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Bearer token in the kubeconfig; a request with another token gets 401. Default 'kube-sim-token'. */
  token?: string;
}

export type SimResource =
  | 'deployments' | 'pods' | 'services' | 'persistentvolumeclaims' | 'nodes' | 'events'
  | 'replicasets' | 'namespaces' | 'leases' | 'storageclasses' | 'serviceaccounts' | 'configmaps' | 'secrets' | 'roles' | 'rolebindings'
  | 'clusterroles' | 'clusterrolebindings' | 'ingresses' | 'poddisruptionbudgets' | 'priorityclasses';

export interface KubeSimulator {
  url: string;
  kubeconfigPath: string;
  /** Writes a kubeconfig; with `serviceAccount`, its token acts as that ServiceAccount under RBAC (rbac.ts). */
  writeKubeconfig(path: string, options?: { serviceAccount?: ServiceAccountRef; namespace?: string }): void;
  /** Requests refused by RBAC, oldest first, as `<verb> <resource>` with their namespace and name. */
  denials(): Denial[];
  resetDenials(): void;
  /** Request counters keyed `<verb> <resource>[/<subresource>]`: 'list pods', 'watch deployments', 'update deployments/status'. Verbs are Kubernetes verbs (PUT is 'update'). */
  stats(): Record<string, number>;
  resetStats(): void;
  failNext(rule: FailureRule): void;
  /** Closes every open watch stream, abruptly unless `graceful`. */
  dropWatches(options?: { graceful?: boolean }): void;
  setNodeReady(name: string, ready: boolean): void;
  /** Stored objects with kind and apiVersion; any served plural works, the union is for completion. */
  objects(resource: SimResource | (string & {}), namespace?: string): KubeObject[];
  deleteObject(resource: string, namespace: string | undefined, name: string): void;
  /** Adds or replaces an object as an administrator would, validated like any create. */
  applyObject(resource: SimResource, object: KubeObject): KubeObject;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function seed(api: ResourceApi, options: KubeSimOptions, gpuResource: string): void {
  const namespace = options.namespace ?? 'default';
  for (const name of new Set([...systemNamespaces, namespace])) {
    api.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  api.create('services', 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  });
  (options.nodes ?? defaultNodes()).forEach((node, index) => {
    const built = buildNode(node, index, gpuResource);
    const status = built.status;
    const created = api.create('nodes', undefined, built);
    api.systemUpdate('nodes', { ...created, status: status ?? {} });
  });
  for (const storageClass of options.storageClasses ?? DEFAULT_STORAGE_CLASSES) api.create('storageclasses', undefined, storageClassObject(storageClass));
  for (const dataset of options.datasets ?? []) {
    const claim = api.create('persistentvolumeclaims', namespace, {
      metadata: { name: dataset },
      spec: { accessModes: ['ReadOnlyMany'], resources: { requests: { storage: '10Gi' } } },
    });
    api.systemUpdate('persistentvolumeclaims', {
      ...claim,
      spec: { ...claim.spec, volumeName: `pvc-${claim.metadata.uid ?? ''}` },
      status: { phase: 'Bound', accessModes: ['ReadOnlyMany'], capacity: { storage: '10Gi' } },
    });
  }
}

function withTypeMeta(resource: string, object: KubeObject): KubeObject {
  const type = resourceByName(resource);
  return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
}

export async function startKubeSimulator(options: KubeSimOptions = {}): Promise<KubeSimulator> {
  const gpuResource = options.gpuResource ?? 'nvidia.com/gpu';
  const namespace = options.namespace ?? 'default';
  const token = options.token ?? 'kube-sim-token';
  const store = new ObjectStore(options.watchHistory ?? 1000);
  const api = new ResourceApi(store);
  const hub = new WatchHub(store, options.bookmarkIntervalMs ?? 1000);
  const faults = new Faults();
  const rbac = new RbacAuthorizer(api);
  const recorder = new EventRecorder(api, namespace);
  seed(api, options, gpuResource);

  const delays = { scheduleMs: 20, pullMs: 20, readyMs: 20, ...options.delays };
  const components = [
    new WorkloadControllers(store, api),
    new VolumeBinder(store, api, recorder),
    new Scheduler(store, api, recorder, { gpuResource, scheduleMs: delays.scheduleMs }),
    new Kubelets(store, api, recorder, { pullMs: delays.pullMs, readyMs: delays.readyMs, failingImages: options.failingImages ?? [] }),
  ];
  for (const component of components) component.start();

  const setNodeReady = (name: string, ready: boolean): void => {
    const node = api.get('nodes', undefined, name);
    const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = readyCondition(ready, since);
    setCondition(node, condition as { type: string; status: string }, { lastHeartbeatTime: since });
    const taints = (Array.isArray(node.spec?.['taints']) ? node.spec['taints'].filter(isRecord) : []).filter(
      (taint) => taint['key'] !== notReadyTaint.key,
    );
    node.spec = { ...node.spec, taints: ready ? taints : [...taints, notReadyTaint] };
    if (node.spec['taints'] && (node.spec['taints'] as unknown[]).length === 0) delete node.spec['taints'];
    api.systemUpdate('nodes', node);
  };

  const controls = {
    stats: () => faults.stats(),
    resetStats: () => faults.resetStats(),
    failNext: (rule: FailureRule) => faults.failNext(rule),
    dropWatches: (dropOptions?: { graceful?: boolean }) => hub.dropAll(dropOptions?.graceful ?? false),
    setNodeReady,
    objects: (resource: string, inNamespace?: string) => api.list(resource, inNamespace).map((o) => withTypeMeta(resource, o)),
  };

  const server: Server = createServer(createHandler({ store, api, hub, faults, token, rbac, simRoutes: simRoutes(controls) }));
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      hub.dropAll(false);
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const port = await listen(options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  const configDir = mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const kubeconfigPath = join(configDir, 'kubeconfig');
  writeKubeconfigFile(kubeconfigPath, url, token, namespace);
  let stopped = false;

  return {
    url,
    kubeconfigPath,
    writeKubeconfig: (path, kubeconfigOptions = {}) => {
      const { serviceAccount } = kubeconfigOptions;
      writeKubeconfigFile(path, url, serviceAccount ? rbac.issueToken(serviceAccount) : token, kubeconfigOptions.namespace ?? namespace);
    },
    denials: () => rbac.denials(),
    resetDenials: () => rbac.resetDenials(),
    ...controls,
    objects: (resource, inNamespace) => controls.objects(resource, inNamespace),
    deleteObject: (resource, inNamespace, name) => {
      api.delete(resource, inNamespace, name, { propagationPolicy: 'Background' });
    },
    applyObject: (resource, object) => {
      const existing = api.find(resource, object.metadata.namespace, object.metadata.name ?? '');
      const stored = existing
        ? api.replace(resource, object.metadata.namespace, object.metadata.name ?? '', { ...object, metadata: { ...object.metadata, resourceVersion: undefined } })
        : api.create(resource, object.metadata.namespace ?? namespace, object);
      return withTypeMeta(resource, stored);
    },
    restart: async () => {
      await close();
      await listen(port);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const component of components) component.stop();
      await close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
