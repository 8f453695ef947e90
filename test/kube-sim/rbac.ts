// Role-based access control as the API server applies it to ServiceAccount tokens: the Roles,
// ClusterRoles and their bindings stored in the simulator (applied like any object, e.g. with
// `kubectl apply -k`) decide, and a refusal is the server's 403 Forbidden Status, word for word.
// The administrator's token (and kubectl's anonymous plain-http requests) are not checked.
import { randomBytes } from 'node:crypto';
import type { ResourceApi } from './api.js';
import type { ResourcePath } from './paths.js';
import { ApiError } from './status.js';
import { isRecord, type KubeObject } from './types.js';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role && Array.isArray(role['rules']) ? role['rules'].filter(isRecord) : [];
  return rules.map((rule) => ({
    apiGroups: strings(rule['apiGroups']),
    resources: strings(rule['resources']),
    verbs: strings(rule['verbs']),
    resourceNames: strings(rule['resourceNames']),
  }));
}

const has = (list: string[], value: string): boolean => list.includes('*') || list.includes(value);

function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  // resourceNames cannot restrict list, watch or create: those requests name no object.
  const nameOk = rule.resourceNames.length === 0 || (request.name !== undefined && rule.resourceNames.includes(request.name));
  return has(rule.apiGroups, request.group) && has(rule.resources, resource) && has(rule.verbs, request.verb) && nameOk;
}

function bindsTo(binding: KubeObject, account: ServiceAccountRef): boolean {
  const subjects = Array.isArray(binding['subjects']) ? binding['subjects'].filter(isRecord) : [];
  const user = `system:serviceaccount:${account.namespace}:${account.name}`;
  return subjects.some((subject) => {
    if (subject['kind'] === 'ServiceAccount') return subject['name'] === account.name && subject['namespace'] === account.namespace;
    if (subject['kind'] === 'User') return subject['name'] === user;
    if (subject['kind'] === 'Group') return ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'].includes(String(subject['name']));
    return false;
  });
}

function roleRefOf(binding: KubeObject): { kind: string; name: string } {
  const ref = isRecord(binding['roleRef']) ? binding['roleRef'] : {};
  return { kind: String(ref['kind'] ?? ''), name: String(ref['name'] ?? '') };
}

/** The wording of kube-apiserver's RBAC refusal. */
export function forbidden(account: ServiceAccountRef, request: RequestAttributes): ApiError {
  const qualified = request.group ? `${request.resource}.${request.group}` : request.resource;
  const named = request.name !== undefined ? ` "${request.name}"` : '';
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const scope = request.namespace !== undefined ? `in the namespace "${request.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    `${qualified}${named} is forbidden: User "system:serviceaccount:${account.namespace}:${account.name}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`,
    'Forbidden',
    { ...(request.name !== undefined ? { name: request.name } : {}), group: request.group, kind: request.resource },
  );
}

/** A refused request, as `<verb> <resource>[/<subresource>]`, with where it was aimed. */
export interface Denial {
  key: string;
  namespace?: string;
  name?: string;
}

export class RbacAuthorizer {
  private readonly tokens = new Map<string, ServiceAccountRef>();
  private readonly denied: Denial[] = [];

  constructor(private readonly api: ResourceApi) {}

  /** A bearer token that acts as the ServiceAccount, as a projected token does in a pod. */
  issueToken(account: ServiceAccountRef): string {
    const token = `sa.${account.namespace}.${account.name}.${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, account);
    return token;
  }

  accountFor(token: string): ServiceAccountRef | undefined {
    return this.tokens.get(token);
  }

  /** Throws the 403 the API server would answer; records the refusal. */
  authorize(account: ServiceAccountRef, request: RequestAttributes): void {
    if (this.allows(account, request)) return;
    const key = `${request.verb} ${request.resource}${request.subresource ? `/${request.subresource}` : ''}`;
    this.denied.push({ key, ...(request.namespace !== undefined ? { namespace: request.namespace } : {}), ...(request.name !== undefined ? { name: request.name } : {}) });
    throw forbidden(account, request);
  }

  denials(): Denial[] {
    return [...this.denied];
  }

  resetDenials(): void {
    this.denied.length = 0;
  }

  private allows(account: ServiceAccountRef, request: RequestAttributes): boolean {
    const roles: (KubeObject | undefined)[] = [];
    for (const binding of this.api.list('clusterrolebindings')) {
      const ref = roleRefOf(binding);
      if (ref.kind === 'ClusterRole' && bindsTo(binding, account)) roles.push(this.api.find('clusterroles', undefined, ref.name));
    }
    if (request.namespace !== undefined) {
      for (const binding of this.api.list('rolebindings', request.namespace)) {
        if (!bindsTo(binding, account)) continue;
        const ref = roleRefOf(binding);
        roles.push(ref.kind === 'Role' ? this.api.find('roles', request.namespace, ref.name) : this.api.find('clusterroles', undefined, ref.name));
      }
    }
    return roles.some((role) => rulesOf(role).some((rule) => ruleAllows(rule, request)));
  }
}

export function requestAttributes(path: ResourcePath, verb: string): RequestAttributes {
  return {
    verb,
    group: path.type.group,
    resource: path.type.resource,
    ...(path.subresource !== undefined ? { subresource: path.subresource } : {}),
    ...(path.type.namespaced && path.namespace !== undefined ? { namespace: path.namespace } : {}),
    ...(path.name !== undefined ? { name: path.name } : {}),
  };
}
