/**
 * Classroom placeholders on Kubernetes, as z2jh's user placeholders: one Deployment per classroom
 * whose pods each hold one GPU at a PriorityClass lower than jobs', so the scheduler evicts them
 * for a job that needs the room. The cluster is warm (nodes up, GPUs free of other work) when the
 * class arrives, and a launch never waits for them to go: preemption is the scheduler's.
 */

import type { V1Deployment } from '@kubernetes/client-node';
import { placeholderSettings } from '../../config/placeholder-settings.js';
import { RuntimeError, type PlaceholderPods, type PlaceholderWant } from '../types.js';
import { apiMessage, isNotFound } from './api-errors.js';
import type { KubernetesClients } from './clients.js';
import { COMPONENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './labels.js';
import type { ManifestSettings } from './manifests.js';

export const PLACEHOLDER_COMPONENT = 'placeholder';
export const CLASSROOM_LABEL = 'classlab.io/classroom';
const NAME_PREFIX = 'classlab-placeholder-';
const SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${COMPONENT_LABEL}=${PLACEHOLDER_COMPONENT}`;

export interface PlaceholderSettings {
  namespace: string;
  gpuResource: string;
  priorityClassName: string;
  image: string;
  /** A job's CPU and memory requests: a placeholder keeps room for a whole job, not only its GPU. */
  cpuRequest: string;
  memoryRequest: string;
}

/** The runtime's options as placeholders use them; the settings' defaults where a test left them out. */
export function placeholderSettingsOf(options: ManifestSettings & { placeholderPriorityClass?: string; placeholderImage?: string }): PlaceholderSettings {
  return {
    namespace: options.namespace,
    gpuResource: options.gpuResource,
    priorityClassName: options.placeholderPriorityClass ?? placeholderSettings.placeholderPriorityClass.default,
    image: options.placeholderImage ?? placeholderSettings.placeholderImage.default,
    cpuRequest: options.cpuRequest,
    memoryRequest: options.memoryRequest,
  };
}

export function placeholderName(classroomId: string): string {
  return `${NAME_PREFIX}${classroomId}`;
}

export function buildPlaceholderDeployment(want: PlaceholderWant, settings: PlaceholderSettings): V1Deployment {
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [COMPONENT_LABEL]: PLACEHOLDER_COMPONENT, [CLASSROOM_LABEL]: want.classroomId };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: placeholderName(want.classroomId), namespace: settings.namespace, labels },
    spec: {
      replicas: want.gpu,
      // A rolling update would hold more GPUs than the classroom reserved while it rolls.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: settings.priorityClassName,
          // It holds nothing worth waiting for: a job that preempts it starts as soon as it can.
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: 'pause',
              image: settings.image,
              resources: {
                requests: { cpu: settings.cpuRequest, memory: settings.memoryRequest },
                limits: { [settings.gpuResource]: '1' },
              },
            },
          ],
        },
      },
    },
  };
}

/** What the settings decide in a placeholder's pods, compared without the fields the API server defaults. */
function templateKey(deployment: V1Deployment): string {
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  return JSON.stringify([pod?.priorityClassName, container?.image, container?.resources?.limits]);
}

export class KubernetesPlaceholders implements PlaceholderPods {
  constructor(
    private readonly settings: PlaceholderSettings,
    private readonly clients: () => KubernetesClients,
  ) {}

  /**
   * One list, then only the writes that change something: a create, a replica count, a delete.
   * One classroom's failed write does not keep the others from theirs; the first failure is thrown after.
   */
  async sync(wanted: readonly PlaceholderWant[]): Promise<void> {
    const { apps } = this.clients();
    const { namespace } = this.settings;
    let existing: V1Deployment[];
    try {
      ({ items: existing } = await apps.listNamespacedDeployment({ namespace, labelSelector: SELECTOR }));
    } catch (error) {
      throw new RuntimeError(`Kubernetes did not list placeholder Deployments: ${apiMessage(error)}`, { cause: error });
    }
    const byName = new Map(existing.map((deployment) => [deployment.metadata?.name ?? '', deployment]));
    const keep = new Set<string>();
    const failures: RuntimeError[] = [];
    const write = async (name: string, change: () => Promise<void>): Promise<void> => {
      try {
        await change();
      } catch (error) {
        failures.push(new RuntimeError(`Kubernetes did not update placeholder Deployment ${name}: ${apiMessage(error)}`, { cause: error }));
      }
    };
    for (const want of wanted) {
      if (want.gpu <= 0) continue;
      const name = placeholderName(want.classroomId);
      keep.add(name);
      const current = byName.get(name);
      const built = buildPlaceholderDeployment(want, this.settings);
      await write(name, async () => {
        if (!current) {
          await apps.createNamespacedDeployment({ namespace, body: built });
          return;
        }
        const changes = [];
        if (current.spec?.replicas !== want.gpu) changes.push({ op: 'replace', path: '/spec/replicas', value: want.gpu });
        // A server started with another image or PriorityClass replaces the pods' template.
        if (templateKey(current) !== templateKey(built)) changes.push({ op: 'replace', path: '/spec/template', value: built.spec?.template });
        if (changes.length > 0) await apps.patchNamespacedDeployment({ name, namespace, body: changes });
      });
    }
    for (const name of byName.keys()) {
      if (keep.has(name)) continue;
      await write(name, async () => {
        try {
          await apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    }
    if (failures[0]) throw failures[0];
  }
}
