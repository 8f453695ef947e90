// A simulated cluster holding the shipped manifests (rendered from deploy/overlays/example), and
// classlab's Kubernetes runtime talking to it with the ServiceAccount's token, as it does in a pod.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSimulator, type KubeObject, type KubeSimulator, type SimResource } from '../kube-sim/index.js';
import { capturingLogger } from '../support/logs.js';
import { TEST_MANIFEST_SETTINGS } from '../runtime/support-k8s.js';
import { KubernetesRuntime } from '../../src/runtime/kubernetes/index.js';
import type { RuntimeUpdate } from '../../src/runtime/types.js';
import { only, renderOverlay, resourceOfKind } from './render.js';

export interface ShippedPolicy {
  objects: KubeObject[];
  role: KubeObject;
  clusterRole: KubeObject;
  account: { namespace: string; name: string };
  /** The jobs' namespace: the Role's, and CLASSLAB_NAMESPACE of the ConfigMap. */
  jobsNamespace: string;
}

export function shippedPolicy(kubectl: string): ShippedPolicy {
  const objects = renderOverlay(kubectl);
  const role = only(objects, 'Role');
  const account = only(objects, 'ServiceAccount').metadata;
  return {
    objects,
    role,
    clusterRole: only(objects, 'ClusterRole'),
    account: { namespace: account.namespace ?? '', name: account.name ?? '' },
    jobsNamespace: role.metadata.namespace ?? '',
  };
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export function rulesOf(role: KubeObject): Rule[] {
  return role['rules'] as Rule[];
}

/** The role with one verb taken from the rule about `resource`; the rule goes when it has no verb left. */
export function withoutVerb(role: KubeObject, resource: string, verb: string): KubeObject {
  const rules = rulesOf(role).flatMap((rule) => {
    if (!rule.resources.includes(resource)) return [rule];
    const verbs = rule.verbs.filter((candidate) => candidate !== verb);
    if (verbs.length === rule.verbs.length) throw new Error(`no rule of ${role.metadata.name} grants ${verb} ${resource}`);
    return verbs.length === 0 ? [] : [{ ...rule, verbs }];
  });
  return { ...role, rules };
}

export async function startShippedCluster(policy: ShippedPolicy): Promise<{ sim: KubeSimulator; kubeconfig: string; close(): Promise<void> }> {
  const sim = await startKubeSimulator({
    namespace: policy.jobsNamespace,
    nodes: [
      { name: 'gpu-1', gpus: 2, address: '10.0.0.11', images: ['jupyter/base-notebook:latest'] },
      { name: 'gpu-2', gpus: 2, address: '10.0.0.12' },
    ],
    datasets: ['dataset-mnist'],
    delays: { scheduleMs: 10, pullMs: 10, readyMs: 10 },
    failingImages: ['*does-not-exist*'],
  });
  for (const object of policy.objects) sim.applyObject(resourceOfKind[object.kind ?? ''] as SimResource, object);
  const dir = mkdtempSync(join(tmpdir(), 'classlab-rbac-'));
  const kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { serviceAccount: policy.account, namespace: policy.jobsNamespace });
  return {
    sim,
    kubeconfig,
    async close() {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RuntimeUnderTest {
  runtime: KubernetesRuntime;
  updates: RuntimeUpdate[];
  logLines: string[];
}

export async function startRuntime(kubeconfig: string, namespace: string): Promise<RuntimeUnderTest> {
  const { logger, lines } = capturingLogger();
  const runtime = new KubernetesRuntime({
    ...TEST_MANIFEST_SETTINGS,
    namespace,
    kubeconfig,
    logger,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  const updates: RuntimeUpdate[] = [];
  runtime.subscribe((update) => updates.push(update));
  await runtime.start();
  return { runtime, updates, logLines: lines };
}
