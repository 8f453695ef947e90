/**
 * What the runtime knows about running jobs, all of it from four informers (Deployments, Pods,
 * Services, and the pods' Events), each filtered by classlab's label: one watch per kind however
 * many jobs run, and no API call to answer jobs(). It turns their changes into runtime updates:
 * state changes, pod events, and jobs gone without a stop from us.
 */

import type { CoreV1Event, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RuntimeJob, RuntimeJobState, RuntimeUpdate } from '../types.js';
import type { KubernetesClients } from './clients.js';
import { Informer, type Backoff, type InformerHandlers } from './informer.js';
import { currentPod, deriveJobState, sameState } from './job-state.js';
import { MANAGED_SELECTOR, jobIdOf, objectName } from './labels.js';
import { homeClaimOf } from './manifests.js';
import { serviceUrls } from './urls.js';

export interface JobWatcherOptions {
  clients: KubernetesClients;
  namespace: string;
  logger: Logger;
  backoff: Backoff;
  resyncMs: number;
  emit(update: RuntimeUpdate): void;
  /** Called once Deployments, Services and pods have each been listed. */
  onSynced?(): void;
  /** Why a home claim keeps its jobs from starting, in the cluster's words; undefined once it does not. */
  homeWaiting?(claimName: string): string | undefined;
}

const GONE_REASONS = {
  deployment: 'its Deployment was deleted outside classlab',
  service: 'its Service was deleted outside classlab',
} as const;

/** A stop is remembered at least this long, and until the watches have seen both objects go. */
const STOP_MEMORY_MS = 10 * 60_000;

const POD_EVENTS = 'involvedObject.kind=Pod';

export class JobWatcher {
  private readonly deployments: Informer<V1Deployment>;
  private readonly pods: Informer<V1Pod>;
  private readonly services: Informer<V1Service>;
  private readonly events: Informer<CoreV1Event>;
  /** The last state reported per job, so a state is reported when it changes. */
  private readonly reportedStates = new Map<string, RuntimeJobState>();
  /** Jobs whose objects we are deleting (stop, or a failed launch cleaning up), with when. */
  private readonly stoppedByUs = new Map<string, number>();
  /** Jobs whose Deployment the watch saw deleted, with when: stopping them need not delete it again. */
  private readonly deploymentsGone = new Map<string, number>();
  private readonly podsByJob = new Map<string, Map<string, V1Pod>>();
  /** The jobs that mount each home claim, so a claim's change re-derives only theirs. */
  private readonly jobsByClaim = new Map<string, Set<string>>();

  constructor(private readonly options: JobWatcherOptions) {
    const { clients, namespace, logger, backoff, resyncMs } = options;
    const common = { watch: clients.watch, logger, backoff, resyncMs, onFirstSync: () => this.checkSynced() };
    const labelSelector = MANAGED_SELECTOR;
    this.deployments = new Informer<V1Deployment>({
      ...common,
      resource: 'deployments',
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      labelSelector,
      list: () => clients.apps.listNamespacedDeployment({ namespace, labelSelector }),
      handlers: this.withClaimIndex(this.jobObjectHandlers('deployment')),
    });
    this.services = new Informer<V1Service>({
      ...common,
      resource: 'services',
      path: `/api/v1/namespaces/${namespace}/services`,
      labelSelector,
      list: () => clients.core.listNamespacedService({ namespace, labelSelector }),
      handlers: this.jobObjectHandlers('service'),
    });
    this.pods = new Informer<V1Pod>({
      ...common,
      resource: 'pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector,
      list: () => clients.core.listNamespacedPod({ namespace, labelSelector }),
      handlers: this.podHandlers(),
    });
    // Events carry no labels of ours: watch the namespace's pod events and keep those about our
    // pods (the field selector narrows the stream; the handler decides).
    this.events = new Informer<CoreV1Event>({
      ...common,
      resource: 'events',
      path: `/api/v1/namespaces/${namespace}/events`,
      fieldSelector: POD_EVENTS,
      list: () => clients.core.listNamespacedEvent({ namespace, fieldSelector: POD_EVENTS }),
      handlers: this.eventHandlers(),
    });
  }

  start(): void {
    for (const informer of this.allInformers()) informer.start();
  }

  stop(): void {
    for (const informer of this.allInformers()) informer.stop();
  }

  private allInformers(): { start(): void; stop(): void }[] {
    return [this.deployments, this.pods, this.services, this.events];
  }

  /** True once Deployments, Services and pods have each been listed: jobs() can tell what exists. */
  get synced(): boolean {
    return this.deployments.hasSynced && this.services.hasSynced && this.pods.hasSynced;
  }

  private checkSynced(): void {
    if (this.synced) this.options.onSynced?.();
  }

  /** Every job with a Deployment or a Service, from the caches alone. */
  jobs(nodeHost: string | undefined): RuntimeJob[] {
    const deployments = byJob(this.deployments.list());
    const services = byJob(this.services.list());
    const jobIds = new Set([...deployments.keys(), ...services.keys()]);
    return [...jobIds].sort().map((jobId) => {
      const deployment = deployments.get(jobId);
      const service = services.get(jobId);
      return {
        jobId,
        state: deriveJobState(deployment, this.podOf(jobId), deployment && this.homeWaitingOf(deployment)),
        services: service ? serviceUrls(service, nodeHost) : [],
        complete: deployment !== undefined && service !== undefined,
        ...(deployment === undefined ? { missing: GONE_REASONS.deployment } : service === undefined ? { missing: GONE_REASONS.service } : {}),
      };
    });
  }

  /** The pods of classlab's jobs, as cached; not classroom placeholders, which hold GPUs for jobs to come. */
  jobPods(): V1Pod[] {
    return this.pods.list().filter((pod) => jobIdOf(pod) !== undefined);
  }

  /** Before a launch creates the job's objects: whatever happened to an earlier job of this id is past. */
  launching(jobId: string): void {
    this.stoppedByUs.delete(jobId);
    this.deploymentsGone.delete(jobId);
  }

  /** The watch saw the job's Deployment deleted since its launch: deleting it again would be answered 404. */
  deploymentGone(jobId: string): boolean {
    return this.deploymentsGone.has(jobId);
  }

  /** Before we delete the job's objects: their disappearance is then no news. */
  stopping(jobId: string): void {
    this.stoppedByUs.set(jobId, Date.now());
    this.reportedStates.delete(jobId);
  }

  /** Forgets stops whose objects the watches have long seen go. */
  pruneStops(now = Date.now()): void {
    for (const [jobId, since] of this.stoppedByUs) {
      const name = objectName(jobId);
      const lingering = this.deployments.get(name) ?? this.services.get(name);
      if (now - since > STOP_MEMORY_MS && lingering === undefined) this.stoppedByUs.delete(jobId);
    }
    for (const [jobId, since] of this.deploymentsGone) {
      if (now - since > STOP_MEMORY_MS) this.deploymentsGone.delete(jobId);
    }
  }

  /** A home claim changed, or the cluster said something new about it: its jobs' states may have. */
  claimChanged(claimName: string): void {
    for (const jobId of this.jobsByClaim.get(claimName) ?? []) this.reportState(jobId);
  }

  private homeWaitingOf(deployment: V1Deployment): string | undefined {
    const claim = homeClaimOf(deployment);
    return claim === undefined ? undefined : this.options.homeWaiting?.(claim);
  }

  /** Keeps jobsByClaim in step with the Deployments before their handlers run. */
  private withClaimIndex(handlers: InformerHandlers<V1Deployment | V1Service>): InformerHandlers<V1Deployment> {
    const index = (deployment: V1Deployment, present: boolean) => {
      const jobId = jobIdOf(deployment);
      const claim = homeClaimOf(deployment);
      if (jobId === undefined || claim === undefined) return;
      const jobs = this.jobsByClaim.get(claim) ?? new Set<string>();
      if (present) jobs.add(jobId);
      else jobs.delete(jobId);
      if (jobs.size === 0) this.jobsByClaim.delete(claim);
      else this.jobsByClaim.set(claim, jobs);
    };
    return {
      added: (deployment) => {
        index(deployment, true);
        handlers.added(deployment);
      },
      updated: (deployment) => {
        index(deployment, true);
        handlers.updated(deployment);
      },
      deleted: (deployment) => {
        index(deployment, false);
        handlers.deleted(deployment);
      },
    };
  }

  private podOf(jobId: string): V1Pod | undefined {
    return currentPod(this.podsByJob.get(jobId)?.values() ?? []);
  }

  /** Deployments and Services: a change may change the state; either one vanishing on its own means the job is gone. */
  private jobObjectHandlers(kind: keyof typeof GONE_REASONS): InformerHandlers<V1Deployment | V1Service> {
    const changed = (object: V1Deployment | V1Service) => {
      const jobId = jobIdOf(object);
      if (jobId !== undefined) this.reportState(jobId);
    };
    const deleted = (object: V1Deployment | V1Service) => {
      const jobId = jobIdOf(object);
      if (jobId === undefined) return;
      if (kind === 'deployment') this.deploymentsGone.set(jobId, Date.now());
      this.reportedStates.delete(jobId);
      if (this.stoppedByUs.has(jobId)) return;
      // Another classlab server may have deleted it: the jobs service, which reads the job's row, says whether that is news.
      this.options.logger.debug({ job: jobId, kind }, 'kubernetes job object deleted, not by this server');
      this.options.emit({ kind: 'gone', jobId, reason: GONE_REASONS[kind] });
    };
    return { added: changed, updated: changed, deleted };
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
      if (!this.events.hasSynced) return;
      if (event.involvedObject?.kind !== 'Pod') return;
      const jobId = this.jobOfPod(event.involvedObject.name ?? '');
      if (jobId === undefined) return;
      const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
      this.options.emit({
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
    const pod = this.pods.get(podName);
    if (pod) return jobIdOf(pod);
    for (const deployment of this.deployments.list()) {
      if (podName.startsWith(`${deployment.metadata?.name ?? ''}-`)) return jobIdOf(deployment);
    }
    return undefined;
  }

  private reportState(jobId: string): void {
    if (this.stoppedByUs.has(jobId)) return;
    const name = objectName(jobId);
    const deployment = this.deployments.get(name);
    // A launch still under way (or cut short) has no Service yet, and pods outlive their
    // Deployment for a moment: either way there is no job to report on. A half-launched job so
    // stays Created, which is what reconciling looks for.
    if (deployment === undefined || this.services.get(name) === undefined) return;
    const state = deriveJobState(deployment, this.podOf(jobId), this.homeWaitingOf(deployment));
    if (sameState(this.reportedStates.get(jobId), state)) return;
    this.reportedStates.set(jobId, state);
    this.options.emit({ kind: 'state', jobId, state });
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
