/**
 * The nodes, the namespace's PersistentVolumeClaims and the claims' Events, each from one
 * informer, so that a launch (GPU capacity, datasets, homes) and the health routes read memory
 * instead of listing them every time: a lecture's launches cost the cluster no reads. Until the
 * first list has arrived, callers list.
 */

import type { CoreV1Event, V1Node, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { HomeStatus } from '../types.js';
import type { KubernetesClients } from './clients.js';
import { homeStatusOf } from './home-claim.js';
import { Informer, type Backoff, type InformerHandlers } from './informer.js';

export interface ClusterWatchOptions {
  clients: KubernetesClients;
  namespace: string;
  logger: Logger;
  backoff: Backoff;
  resyncMs: number;
  /** Any node added, changed or gone (and after the first list). */
  onNodesChanged(): void;
  /** A claim changed, went, or the cluster said something new about it. */
  onClaimChanged?(name: string): void;
}

const CLAIM_EVENTS = 'involvedObject.kind=PersistentVolumeClaim';

/** The newest Event of one type about one claim. */
interface Said {
  event: string;
  message: string;
  at: number;
}

export class ClusterWatch {
  private readonly nodes: Informer<V1Node>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly claimEvents: Informer<CoreV1Event>;
  /**
   * What the cluster last said about each claim, by the claim's uid (so a claim made again under
   * the same name does not inherit its predecessor's words): a Warning is kept apart because it
   * says more than the Normal events repeated beside it (ExternalProvisioning).
   */
  private readonly saidAbout = new Map<string, { Warning?: Said; Normal?: Said }>();

  constructor(private readonly options: ClusterWatchOptions) {
    const { clients, namespace, logger, backoff, resyncMs } = options;
    const common = { watch: clients.watch, logger, backoff, resyncMs };
    const nodesChanged = () => options.onNodesChanged();
    this.nodes = new Informer<V1Node>({
      ...common,
      resource: 'nodes',
      path: '/api/v1/nodes',
      list: () => clients.core.listNode(),
      handlers: everyChange(nodesChanged),
      onFirstSync: nodesChanged,
    });
    this.claims = new Informer<V1PersistentVolumeClaim>({
      ...common,
      resource: 'persistentvolumeclaims',
      path: `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
      list: () => clients.core.listNamespacedPersistentVolumeClaim({ namespace }),
      handlers: this.claimHandlers(),
    });
    // Why a claim stays Pending is only in its Events (the PV controller's FailedBinding,
    // a provisioner's ProvisioningFailed); the field selector keeps pods' Events out.
    this.claimEvents = new Informer<CoreV1Event>({
      ...common,
      resource: 'events',
      path: `/api/v1/namespaces/${namespace}/events`,
      fieldSelector: CLAIM_EVENTS,
      list: () => clients.core.listNamespacedEvent({ namespace, fieldSelector: CLAIM_EVENTS }),
      handlers: this.claimEventHandlers(),
    });
  }

  start(): void {
    this.nodes.start();
    this.claims.start();
    this.claimEvents.start();
  }

  stop(): void {
    this.nodes.stop();
    this.claims.stop();
    this.claimEvents.stop();
  }

  /** Every node, once listed; undefined before. */
  cachedNodes(): V1Node[] | undefined {
    return this.nodes.hasSynced ? this.nodes.list() : undefined;
  }

  /** Every claim of the namespace, once listed; undefined before. */
  cachedClaims(): V1PersistentVolumeClaim[] | undefined {
    return this.claims.hasSynced ? this.claims.list() : undefined;
  }

  get claimsSynced(): boolean {
    return this.claims.hasSynced;
  }

  /** One claim from the cache (undefined also before the first list: ask claimsSynced). */
  cachedClaim(name: string): V1PersistentVolumeClaim | undefined {
    return this.claims.get(name);
  }

  /** Resolves true once the claim is in the cache, false after `timeoutMs`. */
  untilClaimCached(name: string, timeoutMs: number): Promise<boolean> {
    return this.claims.whenCached(name, timeoutMs);
  }

  /** The home a claim holds, from the caches; undefined until claims have been listed. */
  homeStatus(name: string): HomeStatus | undefined {
    if (!this.claims.hasSynced) return undefined;
    const claim = this.claims.get(name);
    return homeStatusOf(claim, claim ? this.lastSaid(claim) : undefined);
  }

  /** What the cluster last said about the claim, preferring a warning. */
  lastSaid(claim: V1PersistentVolumeClaim): string | undefined {
    const said = this.saidAbout.get(claim.metadata?.uid ?? '');
    return (said?.Warning ?? said?.Normal)?.message;
  }

  private claimHandlers(): InformerHandlers<V1PersistentVolumeClaim> {
    const changed = (claim: V1PersistentVolumeClaim) => this.options.onClaimChanged?.(claim.metadata?.name ?? '');
    const deleted = (claim: V1PersistentVolumeClaim) => {
      this.saidAbout.delete(claim.metadata?.uid ?? '');
      changed(claim);
    };
    return { added: changed, updated: changed, deleted };
  }

  private claimEventHandlers(): InformerHandlers<CoreV1Event> {
    const happened = (event: CoreV1Event) => {
      const uid = event.involvedObject?.uid;
      if (!uid || !event.message) return;
      const type = event.type === 'Warning' ? 'Warning' : 'Normal';
      const stamp = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
      const at = stamp === undefined ? Date.now() : new Date(stamp).getTime();
      const said = this.saidAbout.get(uid) ?? {};
      const previous = said[type];
      if (previous !== undefined && previous.at > at) return;
      said[type] = { event: event.metadata?.name ?? '', message: event.message, at };
      this.saidAbout.set(uid, said);
      this.options.onClaimChanged?.(event.involvedObject?.name ?? '');
    };
    const expired = (event: CoreV1Event) => {
      const uid = event.involvedObject?.uid ?? '';
      const said = this.saidAbout.get(uid);
      if (!said) return;
      for (const type of ['Warning', 'Normal'] as const) if (said[type]?.event === event.metadata?.name) delete said[type];
      if (said.Warning === undefined && said.Normal === undefined) this.saidAbout.delete(uid);
    };
    return { added: happened, updated: happened, deleted: expired };
  }
}

function everyChange<T>(call: () => void): InformerHandlers<T> {
  return { added: call, updated: call, deleted: call };
}
