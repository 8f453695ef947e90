/**
 * Jobs as Kubernetes Deployments and Services. Launch and stop call the API; what runs is known
 * from the JobWatcher's informers, so jobs() and state changes cost the cluster nothing.
 */

import { randomBytes } from 'node:crypto';
import type { V1Node, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ServiceUrl } from '../../common/job-ports.js';
import { Latch } from '../../common/latch.js';
import { gpuShortfall } from '../capacity.js';
import type { HomeAccessMode } from '../../config/home-settings.js';
import type { ImageCatalog } from '../../config/image-catalog.js';
import { catalogImages } from '../catalog.js';
import {
  LaunchRefused,
  RuntimeError,
  RuntimeNotSynced,
  type JobRuntime,
  type LaunchSpec,
  type NodeInfo,
  type RuntimeJob,
  type RuntimeUpdate,
} from '../types.js';
import { apiMessage, isNotFound, statusCodeOf } from './api-errors.js';
import { loadKubeConfig, makeClients, type KubernetesClients } from './clients.js';
import { ClusterWatch } from './cluster-watch.js';
import { isHomeClaim } from './home-claim.js';
import { KubernetesHomes } from './homes.js';
import type { Backoff } from './informer.js';
import { JobWatcher } from './job-watcher.js';
import { isValidObjectName, objectName } from './labels.js';
import { buildDeployment, buildService, isValidPortName, planJob, type ManifestSettings } from './manifests.js';
import { gpusInUseByNode, nodeInfoOf, nodePortHostOf } from './nodes.js';
import { KubernetesPlaceholders, placeholderSettingsOf } from './placeholders.js';
import { serviceUrls } from './urls.js';

export interface KubernetesRuntimeOptions extends ManifestSettings {
  /** A kubeconfig path (or a KUBECONFIG list); unset means in-cluster config inside a pod, else the default kubeconfig. */
  kubeconfig?: string;
  /** Host of NodePort URLs; unset means the first Ready node's address. */
  nodePortHost?: string;
  catalog: ImageCatalog;
  logger: Logger;
  /** How often every informer lists again from scratch, healing silent watches. */
  resyncMs?: number;
  /** Pauses between attempts after a list or watch failed. */
  backoff?: Backoff;
  /** Access mode of home claims; default ReadWriteOnce, as the setting's. */
  homeAccessMode?: HomeAccessMode;
  /** StorageClass of home claims; unset means the cluster's default. */
  homeStorageClass?: string;
  /** PriorityClass and image of classroom placeholders; the settings' defaults when unset. */
  placeholderPriorityClass?: string;
  placeholderImage?: string;
}

const DEFAULT_RESYNC_MS = 5 * 60_000;
const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 };
const TOKEN_BYTES = 24;

interface Connection {
  clients: KubernetesClients;
  watcher: JobWatcher;
  /** Nodes, dataset and home claims, so that launches do not list them. */
  cluster: ClusterWatch;
}

export class KubernetesRuntime implements JobRuntime {
  readonly kind = 'kubernetes' as const;
  readonly homes: KubernetesHomes;
  readonly placeholders: KubernetesPlaceholders;
  private readonly logger: Logger;
  private readonly resyncMs: number;
  private readonly backoff: Backoff;
  private connection: Connection | undefined;
  private readonly listeners = new Set<(update: RuntimeUpdate) => void>();
  /** Where NodePorts answer when no host was configured: found by listing nodes, refreshed on resync. */
  private discoveredNodeHost: string | undefined;
  private nodeHostRetry: NodeJS.Timeout | undefined;
  private nodeHostFailures = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly synced = new Latch();

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.logger = options.logger;
    this.resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.homes = new KubernetesHomes(
      {
        namespace: options.namespace,
        accessMode: options.homeAccessMode ?? 'ReadWriteOnce',
        ...(options.homeStorageClass !== undefined ? { storageClass: options.homeStorageClass } : {}),
      },
      () => this.connected(),
    );
    this.placeholders = new KubernetesPlaceholders(placeholderSettingsOf(options), () => this.connected().clients);
  }

  /** Loads the configuration (a bad one throws) and starts watching; an unreachable cluster is retried, not thrown. */
  async start(): Promise<void> {
    if (this.connection) return;
    const clients = makeClients(loadKubeConfig(this.options.kubeconfig));
    const watcher = new JobWatcher({
      clients,
      namespace: this.options.namespace,
      logger: this.logger,
      backoff: this.backoff,
      resyncMs: this.resyncMs,
      emit: (update) => this.emit(update),
      onSynced: () => this.checkSynced(),
      homeWaiting: (claimName) => this.homeWaiting(claimName),
    });
    const cluster = new ClusterWatch({
      clients,
      namespace: this.options.namespace,
      logger: this.logger,
      backoff: this.backoff,
      resyncMs: this.resyncMs,
      onNodesChanged: () => this.nodesChanged(),
      onClaimChanged: (name) => this.connection?.watcher.claimChanged(name),
    });
    this.connection = { clients, watcher, cluster };
    watcher.start();
    cluster.start();
    if (this.needsNodeHost()) void this.refreshNodeHost();
    this.resyncTimer = setInterval(() => this.periodicChores(), this.resyncMs);
    this.resyncTimer.unref();
    this.logger.info({ server: clients.server, namespace: this.options.namespace }, 'kubernetes runtime watching');
  }

  async close(): Promise<void> {
    this.connection?.watcher.stop();
    this.connection?.cluster.stop();
    this.connection = undefined;
    clearInterval(this.resyncTimer);
    clearTimeout(this.nodeHostRetry);
  }

  subscribe(listener: (update: RuntimeUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    const { clients, watcher } = this.connected();
    const name = objectName(spec.jobId);
    if (!isValidObjectName(name)) throw new LaunchRefused(`job id ${JSON.stringify(spec.jobId)} cannot name Kubernetes objects`);
    const badPort = spec.ports.find((port) => !isValidPortName(port.name));
    if (badPort) throw new LaunchRefused(`port name ${JSON.stringify(badPort.name)} is not a valid Kubernetes port name (lowercase letters, digits and -, at most 15)`);

    // Before creating anything: a launch that cannot answer its URLs must leave nothing behind.
    const host = await this.urlHost();
    const plan = planJob(spec, this.options.catalog, randomBytes(TOKEN_BYTES).toString('hex'));
    const { namespace } = this.options;
    watcher.launching(spec.jobId);

    try {
      await clients.apps.createNamespacedDeployment({ namespace, body: buildDeployment(spec, plan, this.options) });
    } catch (error) {
      // Without an answer (or with a 5xx) the Deployment may exist all the same.
      const status = statusCodeOf(error);
      if (status === undefined || status >= 500) await this.cleanUpDeployment(spec.jobId);
      throw new RuntimeError(`Kubernetes did not create Deployment ${name}: ${apiMessage(error)}`, { stage: 'deployment', cause: error });
    }

    let service: V1Service;
    try {
      service = await clients.core.createNamespacedService({ namespace, body: buildService(spec, plan, this.options) });
    } catch (error) {
      await this.cleanUpDeployment(spec.jobId);
      throw new RuntimeError(`Kubernetes did not create Service ${name}: ${apiMessage(error)}`, { stage: 'service', cause: error });
    }
    this.logger.info({ job: spec.jobId, image: spec.image, gpu: spec.gpu }, 'kubernetes job launched');
    // The API server's answers are the truth: the launch does not wait for the watches to show
    // the objects (under load that wait was most of a launch). Until they do, jobs() lacks the
    // job, which reconciling leaves alone while it is young and Created.
    return { services: serviceUrls(service, host) };
  }

  async stop(jobId: string): Promise<void> {
    const { clients, watcher } = this.connected();
    const name = objectName(jobId);
    if (!isValidObjectName(name)) return; // no object of ours can have this name
    watcher.stopping(jobId);
    const { namespace } = this.options;
    const failures: unknown[] = [];
    const deletions = [
      // Background: the Deployment goes at once, its ReplicaSet and pod follow through garbage
      // collection. Not again when the watch saw it go (a job failed because it was deleted).
      ...(watcher.deploymentGone(jobId) ? [] : [() => clients.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' })]),
      () => clients.core.deleteNamespacedService({ name, namespace }),
    ];
    for (const deletion of deletions) {
      try {
        await deletion();
      } catch (error) {
        if (!isNotFound(error)) failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new RuntimeError(`Kubernetes did not delete job ${jobId}: ${apiMessage(failures[0])}`, { cause: failures[0] });
    }
  }

  async jobs(): Promise<RuntimeJob[]> {
    const watcher = this.connection?.watcher;
    if (!watcher?.synced) throw new RuntimeNotSynced('the Kubernetes runtime has not listed its Deployments, Services and pods yet');
    const host = this.options.nodePortHost ?? this.discoveredNodeHost;
    if (this.needsNodeHost() && host === undefined) {
      throw new RuntimeNotSynced('the Kubernetes runtime has not found a Ready node to serve NodePorts yet');
    }
    return watcher.jobs(host);
  }

  whenSynced(): Promise<void> {
    return this.synced.opened;
  }

  /** jobs() answers once the watches have listed and, where URLs need it, a node host is known. */
  private checkSynced(): void {
    if (this.connection?.watcher.synced && (!this.needsNodeHost() || this.discoveredNodeHost !== undefined)) this.synced.open();
  }

  /** From the node watch; listed only until its first list has arrived. */
  async nodes(): Promise<NodeInfo[]> {
    const items = this.connected().cluster.cachedNodes() ?? (await this.listNodes());
    const inUse = gpusInUseByNode(this.connected().watcher.jobPods(), this.options.gpuResource);
    return items.map((node) => nodeInfoOf(node, this.options.gpuResource, inUse)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async listNodes(): Promise<V1Node[]> {
    let items;
    try {
      ({ items } = await this.connected().clients.core.listNode());
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not list nodes: ${apiMessage(error)}`, { cause: error });
    }
    this.learnNodeHost(items);
    return items;
  }

  /** A home claim that exists and is not Bound holds its jobs back; an absent one lets the pod say why. */
  private homeWaiting(claimName: string): string | undefined {
    const status = this.connection?.cluster.homeStatus(claimName);
    if (status === undefined || status.state === 'Bound' || status.state === 'Absent') return undefined;
    return status.reason;
  }

  private nodesChanged(): void {
    const items = this.connection?.cluster.cachedNodes();
    if (items) this.learnNodeHost(items);
  }

  private learnNodeHost(items: readonly V1Node[]): void {
    if (!this.needsNodeHost()) return;
    this.discoveredNodeHost = nodePortHostOf(items) ?? this.discoveredNodeHost;
    this.checkSynced();
  }

  /** From the claim watch; listed only until its first list has arrived. */
  async datasets(): Promise<string[]> {
    const { clients, cluster } = this.connected();
    const { namespace, datasetPrefix } = this.options;
    let items: V1PersistentVolumeClaim[] | undefined = cluster.cachedClaims();
    if (!items) {
      try {
        ({ items } = await clients.core.listNamespacedPersistentVolumeClaim({ namespace }));
      } catch (error) {
        throw new RuntimeError(`Kubernetes did not list PersistentVolumeClaims: ${apiMessage(error)}`, { cause: error });
      }
    }
    return items
      .flatMap((claim) => {
        const name = claim.metadata?.name ?? '';
        if (!name.startsWith(datasetPrefix) || name.length === datasetPrefix.length || claim.metadata?.deletionTimestamp || isHomeClaim(claim)) return [];
        return [name.slice(datasetPrefix.length)];
      })
      .sort();
  }

  async images(): Promise<string[]> {
    const onNodes = (await this.nodes()).flatMap((node) => node.images);
    return [...new Set([...onNodes, ...catalogImages(this.options.catalog)])].sort();
  }

  /** Any image may be pulled, so only the GPUs are checked: more than the largest node has can never be scheduled. */
  async cannotRun(request: { image: string; gpu: number }): Promise<string | undefined> {
    if (request.gpu <= 0) return undefined;
    return gpuShortfall(await this.nodes(), request.gpu);
  }

  /** Kubernetes cannot tell whether a student still uses a notebook. */
  async lastActivity(): Promise<Date | undefined> {
    return undefined;
  }

  private connected(): Connection {
    if (!this.connection) throw new RuntimeError('the Kubernetes runtime has not been started');
    return this.connection;
  }

  private emit(update: RuntimeUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (error) {
        this.logger.error({ job: update.jobId, reason: (error as Error).message }, 'runtime update listener failed');
      }
    }
  }

  /** Deletes a Deployment a failed launch created, and says so if even that fails. */
  private async cleanUpDeployment(jobId: string): Promise<void> {
    const { clients, watcher } = this.connected();
    watcher.stopping(jobId);
    try {
      await clients.apps.deleteNamespacedDeployment({ name: objectName(jobId), namespace: this.options.namespace, propagationPolicy: 'Background' });
    } catch (error) {
      if (isNotFound(error)) return;
      // The jobs service's reconciling deletes labelled objects without a job; say what is left.
      this.logger.error({ job: jobId, reason: apiMessage(error) }, 'could not delete the Deployment of a failed launch');
    }
  }

  private needsNodeHost(): boolean {
    return this.options.serviceType === 'NodePort' && this.options.nodePortHost === undefined;
  }

  private async urlHost(): Promise<string | undefined> {
    if (!this.needsNodeHost()) return this.options.nodePortHost;
    if (this.discoveredNodeHost !== undefined) return this.discoveredNodeHost;
    await this.nodes();
    if (this.discoveredNodeHost === undefined) {
      throw new RuntimeError('no Ready node has an address for NodePort URLs; set CLASSLAB_NODEPORT_HOST');
    }
    return this.discoveredNodeHost;
  }

  /** Finds the NodePort host, retrying with backoff while the cluster cannot be reached. */
  private async refreshNodeHost(): Promise<void> {
    clearTimeout(this.nodeHostRetry);
    this.nodeHostRetry = undefined;
    try {
      await this.nodes();
      if (this.discoveredNodeHost === undefined) throw new Error('no Ready node has an ExternalIP or InternalIP');
      this.nodeHostFailures = 0;
    } catch (error) {
      if (!this.connection) return;
      this.nodeHostFailures += 1;
      const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.nodeHostFailures - 1, 30));
      this.logger.warn({ retryInMs: delayMs, reason: (error as Error).message }, 'cannot find the host for NodePort URLs yet');
      this.nodeHostRetry = setTimeout(() => void this.refreshNodeHost(), delayMs);
      this.nodeHostRetry.unref();
    }
  }

  private periodicChores(): void {
    if (this.needsNodeHost() && this.nodeHostRetry === undefined) void this.refreshNodeHost();
    this.connection?.watcher.pruneStops();
  }
}
