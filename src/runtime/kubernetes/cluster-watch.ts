/**
 * The nodes and the namespace's PersistentVolumeClaims, each from one informer, so that a launch
 * (GPU capacity, datasets) and the health routes read memory instead of listing them every time:
 * a lecture's launches cost the cluster no reads. Until the first list has arrived, callers list.
 */

import type { V1Node, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubernetesClients } from './clients.js';
import { Informer, type Backoff, type InformerHandlers } from './informer.js';

export interface ClusterWatchOptions {
  clients: KubernetesClients;
  namespace: string;
  logger: Logger;
  backoff: Backoff;
  resyncMs: number;
  /** Any node added, changed or gone (and after the first list). */
  onNodesChanged(): void;
}

export class ClusterWatch {
  private readonly nodes: Informer<V1Node>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;

  constructor(options: ClusterWatchOptions) {
    const { clients, namespace, logger, backoff, resyncMs } = options;
    const common = { watch: clients.watch, logger, backoff, resyncMs };
    const nodesChanged = () => options.onNodesChanged();
    const ignore = () => {};
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
      handlers: everyChange(ignore),
    });
  }

  start(): void {
    this.nodes.start();
    this.claims.start();
  }

  stop(): void {
    this.nodes.stop();
    this.claims.stop();
  }

  /** Every node, once listed; undefined before. */
  cachedNodes(): V1Node[] | undefined {
    return this.nodes.hasSynced ? this.nodes.list() : undefined;
  }

  /** Every claim of the namespace, once listed; undefined before. */
  cachedClaims(): V1PersistentVolumeClaim[] | undefined {
    return this.claims.hasSynced ? this.claims.list() : undefined;
  }
}

function everyChange<T>(call: () => void): InformerHandlers<T> {
  return { added: call, updated: call, deleted: call };
}
