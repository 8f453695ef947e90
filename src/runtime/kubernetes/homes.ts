/**
 * Users' homes on Kubernetes: one PersistentVolumeClaim each in the jobs' namespace (home-claim.ts),
 * owned by no Deployment so that it outlives every job. What a home is now comes from the claim
 * watch and the claims' Events (cluster-watch.ts), so ensuring a home that exists, and asking
 * after one, cost the cluster nothing.
 */

import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { HomeExpansionRefused, RuntimeError, type HomeRef, type HomeStatus, type HomeVolumes } from '../types.js';
import { apiMessage, isNotFound, statusCodeOf } from './api-errors.js';
import type { KubernetesClients } from './clients.js';
import type { ClusterWatch } from './cluster-watch.js';
import { buildHomeClaim, homeStatusOf, type HomeClaimSettings } from './home-claim.js';
import { homeClaimName } from './labels.js';

/** How long ensure() waits for the watch to show a claim another server (or launch) made first. */
const CACHE_WAIT_MS = 5000;

export interface HomeConnection {
  clients: KubernetesClients;
  cluster: ClusterWatch;
}

export class KubernetesHomes implements HomeVolumes {
  /** A ReadWriteOnce claim attaches to one node, so a second job of its user may never start. */
  readonly singleAttach: boolean;

  constructor(
    private readonly settings: HomeClaimSettings,
    private readonly connected: () => HomeConnection,
  ) {
    this.singleAttach = settings.accessMode !== 'ReadWriteMany';
  }

  async ensure(home: HomeRef): Promise<HomeStatus> {
    const { clients, cluster } = this.connected();
    const name = homeClaimName(home.name);
    const known = cluster.homeStatus(name);
    if (known !== undefined && known.state !== 'Absent') return known;
    let created: V1PersistentVolumeClaim | undefined;
    try {
      created = await clients.core.createNamespacedPersistentVolumeClaim({ namespace: this.settings.namespace, body: buildHomeClaim(home, this.settings) });
    } catch (error) {
      // Another server (or a launch before the watch had listed) made it first: it is there.
      if (statusCodeOf(error) !== 409) {
        throw new RuntimeError(`Kubernetes did not create PersistentVolumeClaim ${name}: ${apiMessage(error)}`, { cause: error });
      }
    }
    // The API server's answer is the truth: a user's first launch does not wait for the watch.
    if (created) return homeStatusOf(created, undefined);
    // Made by someone else: the watch shows it soon, else it is read once.
    if (await cluster.untilClaimCached(name, CACHE_WAIT_MS)) return cluster.homeStatus(name) ?? this.listedStatus(name);
    return this.listedStatus(name);
  }

  async status(home: HomeRef): Promise<HomeStatus> {
    const name = homeClaimName(home.name);
    return this.connected().cluster.homeStatus(name) ?? this.listedStatus(name);
  }

  async expand(home: HomeRef, capacity: string): Promise<void> {
    const { clients } = this.connected();
    const name = homeClaimName(home.name);
    const claim = await this.claim(name);
    // Nothing to grow: the next launch makes the claim at the size the homes service then asks.
    if (claim === undefined) return;
    await this.requireExpandableClass(claim);
    try {
      await clients.core.patchNamespacedPersistentVolumeClaim({
        name,
        namespace: this.settings.namespace,
        body: [{ op: 'replace', path: '/spec/resources/requests/storage', value: capacity }],
      });
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not expand PersistentVolumeClaim ${name}: ${apiMessage(error)}`, { cause: error });
    }
  }

  async remove(home: HomeRef): Promise<void> {
    const name = homeClaimName(home.name);
    try {
      await this.connected().clients.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: this.settings.namespace });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new RuntimeError(`Kubernetes did not delete PersistentVolumeClaim ${name}: ${apiMessage(error)}`, { cause: error });
    }
  }

  /** Only a StorageClass with allowVolumeExpansion lets a bound claim grow; the API server refuses the rest. */
  private async requireExpandableClass(claim: V1PersistentVolumeClaim): Promise<void> {
    const className = claim.spec?.storageClassName;
    if (!className) {
      throw new HomeExpansionRefused(`home claim ${claim.metadata?.name ?? ''} has no storage class, and only a storage class can allow volume expansion`);
    }
    let allowed: boolean | undefined;
    try {
      allowed = (await this.connected().clients.storage.readStorageClass({ name: className })).allowVolumeExpansion;
    } catch (error) {
      if (isNotFound(error)) throw new HomeExpansionRefused(`storage class ${className} does not exist, so it cannot allow volume expansion`);
      throw new RuntimeError(`Kubernetes did not read StorageClass ${className}: ${apiMessage(error)}`, { cause: error });
    }
    if (allowed !== true) throw new HomeExpansionRefused(`storage class ${className} does not allow volume expansion`);
  }

  /**
   * From the watch; else one list narrowed to the claim: before the watch has listed, or when it
   * has not yet shown a claim that ensure() made a moment ago (launches do not wait for it).
   */
  private async claim(name: string): Promise<V1PersistentVolumeClaim | undefined> {
    const { cluster } = this.connected();
    return (cluster.claimsSynced ? cluster.cachedClaim(name) : undefined) ?? this.listClaim(name);
  }

  private async listedStatus(name: string): Promise<HomeStatus> {
    return homeStatusOf(await this.listClaim(name), undefined);
  }

  private async listClaim(name: string): Promise<V1PersistentVolumeClaim | undefined> {
    try {
      const { items } = await this.connected().clients.core.listNamespacedPersistentVolumeClaim({
        namespace: this.settings.namespace,
        fieldSelector: `metadata.name=${name}`,
      });
      return items[0];
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not list PersistentVolumeClaims: ${apiMessage(error)}`, { cause: error });
    }
  }
}
