/**
 * Jobs as Kubernetes Deployments and Services. Launch and stop call the API; everything the
 * runtime knows about running jobs comes from four informers (Deployments, Pods, Services and the
 * pods' Events), each filtered by classlab's label, so jobs() and state changes cost the cluster
 * nothing however many jobs run.
 */

import { randomBytes } from 'node:crypto';
import type { CoreV1Event, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { catalogImages, type ImageCatalog } from '../catalog.js';
import {
  LaunchRefused,
  RuntimeError,
  RuntimeNotSynced,
  type JobRuntime,
  type LaunchSpec,
  type NodeInfo,
  type RuntimeJob,
  type RuntimeJobState,
  type RuntimeUpdate,
  type ServiceUrl,
} from '../types.js';
import { apiMessage, isNotFound, statusCodeOf } from './api-errors.js';
import { loadKubeConfig, makeClients, type KubernetesClients } from './clients.js';
import { Informer, type Backoff, type InformerHandlers } from './informer.js';
import { currentPod, deriveJobState, sameState } from './job-state.js';
import { MANAGED_SELECTOR, isValidObjectName, jobIdOf, objectName } from './labels.js';
import { buildDeployment, buildService, isValidPortName, planJob, type ManifestSettings } from './manifests.js';
import { nodeInfoOf, nodePortHostOf } from './nodes.js';
import { serviceUrls } from './urls.js';

export interface KubernetesRuntimeOptions extends ManifestSettings {
  /** A kubeconfig path; unset means in-cluster config inside a pod, else the default kubeconfig. */
  kubeconfig?: string;
  /** Host of NodePort URLs; unset means the first Ready node's address. */
  nodePortHost?: string;
  catalog: ImageCatalog;
  logger: Logger;
  /** How often every informer lists again from scratch, healing silent watches. */
  resyncMs?: number;
  /** Pauses between attempts after a list or watch failed. */
  backoff?: Backoff;
}

const DEFAULT_RESYNC_MS = 5 * 60_000;
const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 };
/** A stop whose Deployment never showed up as deleted is forgotten after this long. */
const STOPPED_MEMORY_MS = 10 * 60_000;
const TOKEN_BYTES = 24;
/** How long a launch waits for the watches to show its objects. */
const CACHE_WAIT_MS = 5000;
const GONE_REASONS = {
  deployment: 'its Deployment was deleted outside classlab',
  service: 'its Service was deleted outside classlab',
} as const;

interface Informers {
  deployments: Informer<V1Deployment>;
  pods: Informer<V1Pod>;
  services: Informer<V1Service>;
  events: Informer<CoreV1Event>;
}

export class KubernetesRuntime implements JobRuntime {
  readonly kind = 'kubernetes' as const;
  private readonly logger: Logger;
  private readonly resyncMs: number;
  private readonly backoff: Backoff;
  private clients: KubernetesClients | undefined;
  private informers: Informers | undefined;
  private readonly listeners = new Set<(update: RuntimeUpdate) => void>();
  /** The last state reported per job, so a state is reported when it changes. */
  private readonly reportedStates = new Map<string, RuntimeJobState>();
  /**
   * Jobs we are deleting (by stop, or a launch cleaning up), with when: their objects' deletion is
   * not news. Kept until both objects are gone from the caches, since each kind is watched apart.
   */
  private readonly stoppedByUs = new Map<string, number>();
  private readonly podsByJob = new Map<string, Map<string, V1Pod>>();
  /** Where NodePorts answer when no host was configured: found by listing nodes, refreshed on resync. */
  private discoveredNodeHost: string | undefined;
  private nodeHostRetry: NodeJS.Timeout | undefined;
  private nodeHostFailures = 0;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.logger = options.logger;
    this.resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async start(): Promise<void> {
    if (this.clients) return;
    const clients = makeClients(loadKubeConfig(this.options.kubeconfig));
    this.clients = clients;
    this.informers = this.makeInformers(clients);
    for (const informer of Object.values(this.informers)) informer.start();
    if (this.needsNodeHost()) void this.refreshNodeHost();
    this.resyncTimer = setInterval(() => this.periodicChores(), this.resyncMs);
    this.resyncTimer.unref();
    this.logger.info({ server: clients.server, namespace: this.options.namespace }, 'kubernetes runtime watching');
  }

  async close(): Promise<void> {
    if (this.informers) for (const informer of Object.values(this.informers)) informer.stop();
    clearInterval(this.resyncTimer);
    clearTimeout(this.nodeHostRetry);
    this.informers = undefined;
    this.clients = undefined;
  }

  subscribe(listener: (update: RuntimeUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    const clients = this.requireClients();
    const name = objectName(spec.jobId);
    if (!isValidObjectName(name)) throw new LaunchRefused(`job id ${JSON.stringify(spec.jobId)} cannot name Kubernetes objects`);
    const badPort = spec.ports.find((port) => !isValidPortName(port.name));
    if (badPort) throw new LaunchRefused(`port name ${JSON.stringify(badPort.name)} is not a valid Kubernetes port name (lowercase letters, digits and -, at most 15)`);

    // Before creating anything: a launch that cannot answer its URLs must leave nothing behind.
    const host = await this.urlHost();
    const plan = planJob(spec, this.options.catalog, randomBytes(TOKEN_BYTES).toString('hex'));
    const { namespace } = this.options;
    this.stoppedByUs.delete(spec.jobId);

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
    await this.untilCached(name);
    return { services: serviceUrls(service, host) };
  }

  async stop(jobId: string): Promise<void> {
    const clients = this.requireClients();
    const name = objectName(jobId);
    if (!isValidObjectName(name)) return; // no object of ours can have this name
    this.stoppedByUs.set(jobId, Date.now());
    this.reportedStates.delete(jobId);
    const { namespace } = this.options;
    const failures: unknown[] = [];
    const deletions = [
      // Background: the Deployment goes at once, its ReplicaSet and pod follow through garbage collection.
      () => clients.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
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
    const informers = this.informers;
    if (!informers || !informers.deployments.hasSynced || !informers.services.hasSynced || !informers.pods.hasSynced) {
      throw new RuntimeNotSynced('the Kubernetes runtime has not listed its Deployments, Services and pods yet');
    }
    const host = this.options.nodePortHost ?? this.discoveredNodeHost;
    if (this.needsNodeHost() && host === undefined) {
      throw new RuntimeNotSynced('the Kubernetes runtime has not found a Ready node to serve NodePorts yet');
    }
    const deployments = byJob(informers.deployments.list());
    const services = byJob(informers.services.list());
    const jobIds = new Set([...deployments.keys(), ...services.keys()]);
    return [...jobIds].sort().map((jobId) => {
      const deployment = deployments.get(jobId);
      const service = services.get(jobId);
      return {
        jobId,
        state: deriveJobState(deployment, currentPod(this.podsByJob.get(jobId)?.values() ?? [])),
        services: service ? serviceUrls(service, host) : [],
        complete: deployment !== undefined && service !== undefined,
      };
    });
  }

  async nodes(): Promise<NodeInfo[]> {
    const clients = this.requireClients();
    let items;
    try {
      ({ items } = await clients.core.listNode());
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not list nodes: ${apiMessage(error)}`, { cause: error });
    }
    if (this.needsNodeHost()) this.discoveredNodeHost = nodePortHostOf(items) ?? this.discoveredNodeHost;
    return items.map((node) => nodeInfoOf(node, this.options.gpuResource)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async datasets(): Promise<string[]> {
    const clients = this.requireClients();
    const { namespace, datasetPrefix } = this.options;
    let items;
    try {
      ({ items } = await clients.core.listNamespacedPersistentVolumeClaim({ namespace }));
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not list PersistentVolumeClaims: ${apiMessage(error)}`, { cause: error });
    }
    return items
      .flatMap((claim) => {
        const name = claim.metadata?.name ?? '';
        if (!name.startsWith(datasetPrefix) || name.length === datasetPrefix.length || claim.metadata?.deletionTimestamp) return [];
        return [name.slice(datasetPrefix.length)];
      })
      .sort();
  }

  async images(): Promise<string[]> {
    const onNodes = (await this.nodes()).flatMap((node) => node.images);
    return [...new Set([...onNodes, ...catalogImages(this.options.catalog)])].sort();
  }

  /** Kubernetes cannot tell whether a student still uses a notebook. */
  async lastActivity(): Promise<Date | undefined> {
    return undefined;
  }

  private requireClients(): KubernetesClients {
    if (!this.clients) throw new RuntimeError('the Kubernetes runtime has not been started');
    return this.clients;
  }

  private makeInformers(clients: KubernetesClients): Informers {
    const { namespace } = this.options;
    const common = { watch: clients.watch, logger: this.logger, backoff: this.backoff, resyncMs: this.resyncMs };
    const labelSelector = MANAGED_SELECTOR;
    return {
      deployments: new Informer<V1Deployment>({
        ...common,
        resource: 'deployments',
        path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
        labelSelector,
        list: () => clients.apps.listNamespacedDeployment({ namespace, labelSelector }),
        handlers: this.deploymentHandlers(),
      }),
      pods: new Informer<V1Pod>({
        ...common,
        resource: 'pods',
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector,
        list: () => clients.core.listNamespacedPod({ namespace, labelSelector }),
        handlers: this.podHandlers(),
      }),
      services: new Informer<V1Service>({
        ...common,
        resource: 'services',
        path: `/api/v1/namespaces/${namespace}/services`,
        labelSelector,
        list: () => clients.core.listNamespacedService({ namespace, labelSelector }),
        handlers: this.serviceHandlers(),
      }),
      // Events carry no labels of ours: watch the pods' events in the namespace and keep the ones
      // about our pods (the field selector narrows the stream; the check in the handler decides).
      events: new Informer<CoreV1Event>({
        ...common,
        resource: 'events',
        path: `/api/v1/namespaces/${namespace}/events`,
        fieldSelector: 'involvedObject.kind=Pod',
        list: () => clients.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Pod' }),
        handlers: this.eventHandlers(),
      }),
    };
  }

  private deploymentHandlers(): InformerHandlers<V1Deployment> {
    const changed = (deployment: V1Deployment) => {
      const jobId = jobIdOf(deployment);
      if (jobId !== undefined) this.reportState(jobId);
    };
    return {
      added: changed,
      updated: changed,
      deleted: (deployment) => this.objectDeleted(deployment, 'deployment'),
    };
  }

  /** A job's state is reported once its Service exists too, so a half-launched job never looks started. */
  private serviceHandlers(): InformerHandlers<V1Service> {
    const changed = (service: V1Service) => {
      const jobId = jobIdOf(service);
      if (jobId !== undefined) this.reportState(jobId);
    };
    return { added: changed, updated: changed, deleted: (service) => this.objectDeleted(service, 'service') };
  }

  /** Either object of a job vanishing without our stop leaves a job nobody can use: it is gone. */
  private objectDeleted(object: V1Deployment | V1Service, kind: keyof typeof GONE_REASONS): void {
    const jobId = jobIdOf(object);
    if (jobId === undefined) return;
    this.reportedStates.delete(jobId);
    if (this.stoppedByUs.has(jobId)) return;
    this.logger.warn({ job: jobId, kind }, 'kubernetes job object deleted outside classlab');
    this.emit({ kind: 'gone', jobId, reason: GONE_REASONS[kind] });
  }

  private podHandlers(): InformerHandlers<V1Pod> {
    const changed = (pod: V1Pod, present: boolean) => {
      const jobId = jobIdOf(pod);
      const name = pod.metadata?.name;
      if (jobId === undefined || name === undefined) return;
      let pods = this.podsByJob.get(jobId);
      if (present) {
        if (!pods) this.podsByJob.set(jobId, (pods = new Map()));
        pods.set(name, pod);
      } else if (pods) {
        pods.delete(name);
        if (pods.size === 0) this.podsByJob.delete(jobId);
      }
      this.reportState(jobId);
    };
    return { added: (pod) => changed(pod, true), updated: (pod) => changed(pod, true), deleted: (pod) => changed(pod, false) };
  }

  private eventHandlers(): InformerHandlers<CoreV1Event> {
    const happened = (event: CoreV1Event) => {
      // The first listing brings up to an hour of old events: they are history, not news.
      if (!this.informers?.events.hasSynced) return;
      if (event.involvedObject?.kind !== 'Pod') return;
      const jobId = this.jobOfPod(event.involvedObject.name ?? '');
      if (jobId === undefined) return;
      const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
      this.emit({
        kind: 'event',
        jobId,
        type: event.type === 'Warning' ? 'Warning' : 'Normal',
        reason: event.reason ?? '',
        message: event.message ?? '',
        at: at === undefined ? new Date() : new Date(at),
      });
    };
    return { added: happened, updated: happened, deleted: () => {} };
  }

  /** A pod's job from the pod cache, or, for an event that beat its pod there, from the pod's name. */
  private jobOfPod(podName: string): string | undefined {
    const pod = this.informers?.pods.get(podName);
    if (pod) return jobIdOf(pod);
    for (const deployment of this.informers?.deployments.list() ?? []) {
      if (podName.startsWith(`${deployment.metadata?.name ?? ''}-`)) return jobIdOf(deployment);
    }
    return undefined;
  }

  private reportState(jobId: string): void {
    if (this.stoppedByUs.has(jobId)) return;
    const deployment = this.informers?.deployments.get(objectName(jobId));
    // A launch still under way (or cut short) has no Service yet; pods outlive their Deployment
    // for a moment. Either way there is no job to report on.
    if (deployment === undefined || this.informers?.services.get(objectName(jobId)) === undefined) return;
    const state = deriveJobState(deployment, currentPod(this.podsByJob.get(jobId)?.values() ?? []));
    if (sameState(this.reportedStates.get(jobId), state)) return;
    this.reportedStates.set(jobId, state);
    this.emit({ kind: 'state', jobId, state });
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

  /**
   * Waits (briefly) until the informers hold a launched job's objects, so that a jobs() right after
   * launch sees the job complete instead of half there. A slow watch only delays; it never fails
   * a launch whose objects exist.
   */
  private async untilCached(name: string): Promise<void> {
    const informers = this.informers;
    if (!informers) return;
    const [deployment, service] = await Promise.all([
      informers.deployments.whenCached(name, CACHE_WAIT_MS),
      informers.services.whenCached(name, CACHE_WAIT_MS),
    ]);
    if (!deployment || !service) this.logger.warn({ object: name }, 'launched job not yet seen by the watches; carrying on');
  }

  /** Deletes a Deployment a failed launch created, and says so if even that fails. */
  private async cleanUpDeployment(jobId: string): Promise<void> {
    const clients = this.requireClients();
    this.stoppedByUs.set(jobId, Date.now());
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
      if (!this.clients) return;
      this.nodeHostFailures += 1;
      const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.nodeHostFailures - 1, 30));
      this.logger.warn({ retryInMs: delayMs, reason: (error as Error).message }, 'cannot find the host for NodePort URLs yet');
      this.nodeHostRetry = setTimeout(() => void this.refreshNodeHost(), delayMs);
      this.nodeHostRetry.unref();
    }
  }

  private periodicChores(): void {
    if (this.needsNodeHost() && this.nodeHostRetry === undefined) void this.refreshNodeHost();
    // Forget a stop once the watches have long seen both objects go.
    const now = Date.now();
    for (const [jobId, since] of this.stoppedByUs) {
      const name = objectName(jobId);
      const lingering = this.informers?.deployments.get(name) ?? this.informers?.services.get(name);
      if (now - since > STOPPED_MEMORY_MS && lingering === undefined) this.stoppedByUs.delete(jobId);
    }
  }
}

function byJob<T extends { metadata?: { labels?: Record<string, string> } }>(objects: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const object of objects) {
    const jobId = jobIdOf(object);
    if (jobId !== undefined) map.set(jobId, object);
  }
  return map;
}
