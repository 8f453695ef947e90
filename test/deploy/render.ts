// The shipped manifests as a cluster receives them: `kubectl kustomize` of the example overlay.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadAllYaml } from '@kubernetes/client-node';
import type { KubeObject } from '../kube-sim/index.js';

export const OVERLAY = fileURLToPath(new URL('../../deploy/overlays/example', import.meta.url));

export function findKubectl(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function renderOverlay(kubectl: string, overlay = OVERLAY): KubeObject[] {
  const yaml = execFileSync(kubectl, ['kustomize', overlay], { encoding: 'utf8', timeout: 30_000 });
  return (loadAllYaml(yaml) as KubeObject[]).filter((object) => object !== null);
}

export function only(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as KubeObject;
}

/** The plural the API serves each kind under, for the simulator's applyObject. */
export const resourceOfKind: Record<string, string> = {
  Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', ConfigMap: 'configmaps', Secret: 'secrets',
  Deployment: 'deployments', Service: 'services', PodDisruptionBudget: 'poddisruptionbudgets', Ingress: 'ingresses',
  PriorityClass: 'priorityclasses',
};
