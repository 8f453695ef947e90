// The kinds an installation of classlab itself brings (deploy/): its ServiceAccount, RBAC,
// settings, Ingress, PodDisruptionBudget and the placeholders' PriorityClass. Served so that `kubectl apply -k` works against the
// simulator, and so that the RBAC objects it stores can be enforced (rbac.ts).
import { ConfigMap, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
import type { ResourceType } from './resources.js';

type Validating = { validate(): void };

const plain = { shortNames: [] as string[], hasStatus: false, selectableFields: [] as string[], nameRule: 'subdomain' as const };
const rbac = { ...plain, group: 'rbac.authorization.k8s.io', version: 'v1' };

export const deployResourceTypes: ResourceType[] = [
  { ...plain, resource: 'serviceaccounts', kind: 'ServiceAccount', group: '', version: 'v1', namespaced: true, shortNames: ['sa'], singular: 'serviceaccount' },
  { ...plain, resource: 'configmaps', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true, shortNames: ['cm'], singular: 'configmap' },
  { ...plain, resource: 'secrets', kind: 'Secret', group: '', version: 'v1', namespaced: true, singular: 'secret', selectableFields: ['type'] },
  { ...rbac, resource: 'roles', kind: 'Role', namespaced: true, singular: 'role' },
  { ...rbac, resource: 'rolebindings', kind: 'RoleBinding', namespaced: true, singular: 'rolebinding' },
  { ...rbac, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, singular: 'clusterrole' },
  { ...rbac, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, singular: 'clusterrolebinding' },
  {
    ...plain, resource: 'ingresses', kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', namespaced: true,
    shortNames: ['ing'], singular: 'ingress', hasStatus: true,
  },
  {
    ...plain, resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', group: 'policy', version: 'v1', namespaced: true,
    shortNames: ['pdb'], singular: 'poddisruptionbudget', hasStatus: true,
  },
  {
    ...plain, resource: 'priorityclasses', kind: 'PriorityClass', group: 'scheduling.k8s.io', version: 'v1', namespaced: false,
    shortNames: ['pc'], singular: 'priorityclass',
  },
];

export const deployModels: Record<string, (data: unknown) => Validating> = {
  ServiceAccount: (data) => new ServiceAccount(data as never),
  ConfigMap: (data) => new ConfigMap(data as never),
  Secret: (data) => new Secret(data as never),
  Role: (data) => new Role(data as never),
  RoleBinding: (data) => new RoleBinding(data as never),
  ClusterRole: (data) => new ClusterRole(data as never),
  ClusterRoleBinding: (data) => new ClusterRoleBinding(data as never),
  Ingress: (data) => new Ingress(data as never),
  PodDisruptionBudget: (data) => new PodDisruptionBudget(data as never),
  PriorityClass: (data) => new PriorityClass(data as never),
};
