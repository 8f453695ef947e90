// The shipped manifests and image recipe: every object valid against the official schemas, and the
// pieces that must agree with each other (and with classlab's settings) do.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as scheduling from 'kubernetes-models/scheduling.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { settings } from '../../src/config/settings.js';
import type { KubeObject } from '../kube-sim/index.js';
import { findKubectl, only, renderOverlay } from './render.js';

const kubectl = findKubectl();
const containerfile = readFileSync(new URL('../../Containerfile', import.meta.url), 'utf8');

type Model = new (data: never) => { validate(): void };
const modelsByApiVersion: Record<string, Record<string, unknown>> = {
  v1: core, 'apps/v1': apps, 'networking.k8s.io/v1': networking, 'policy/v1': policy, 'rbac.authorization.k8s.io/v1': rbac,
  'scheduling.k8s.io/v1': scheduling,
};

type Json = Record<string, any>; // manifests are free-form YAML; each test reads the fields it checks

function podSpec(objects: KubeObject[]): Json {
  return (only(objects, 'Deployment', 'classlab')['spec'] as Json)['template']['spec'];
}

function container(objects: KubeObject[]): Json {
  return podSpec(objects)['containers'][0];
}

describe.skipIf(!kubectl)(`deploy/overlays/example${kubectl ? '' : ' (skipped: no kubectl on PATH)'}`, () => {
  const objects = kubectl ? renderOverlay(kubectl) : [];
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('renders every kind an installation needs, each valid against the official schema', () => {
    expect(objects.map((object) => object.kind).sort()).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Ingress', 'Namespace', 'Namespace',
      'PodDisruptionBudget', 'PriorityClass', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount',
    ]);
    for (const object of objects) {
      const Model = modelsByApiVersion[object.apiVersion ?? '']?.[object.kind ?? ''] as Model | undefined;
      expect(Model, `${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new (Model as Model)(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('runs two non-root replicas on a read-only root, with /tmp writable and probes on /livez and /readyz', () => {
    const deployment = only(objects, 'Deployment', 'classlab')['spec'] as Json;
    expect(deployment['replicas']).toBe(2);
    expect(deployment['strategy']['rollingUpdate']['maxUnavailable']).toBe(0);
    const pod = podSpec(objects);
    const main = container(objects);
    expect(pod['securityContext']['runAsNonRoot']).toBe(true);
    expect(main['securityContext']).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const tmp = main['volumeMounts'].find((mount: Json) => mount['mountPath'] === '/tmp');
    expect(pod['volumes'].find((volume: Json) => volume['name'] === tmp['name'])['emptyDir']).toBeDefined();
    expect(main['livenessProbe']['httpGet']['path']).toBe('/livez');
    expect(main['startupProbe']['httpGet']['path']).toBe('/livez');
    expect(main['readinessProbe']['httpGet']['path']).toBe('/readyz');
    const portNames = main['ports'].map((port: Json) => port['name']);
    for (const probe of ['livenessProbe', 'startupProbe', 'readinessProbe']) expect(portNames).toContain(main[probe]['httpGet']['port']);
    expect(main['resources']['requests']).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(main['resources']['limits']).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('pauses before SIGTERM for less time than the grace period, so a rolling update drops no request', () => {
    const command: string[] = container(objects)['lifecycle']['preStop']['exec']['command'];
    expect(command[0]).toBe('sleep');
    expect(Number(command[1])).toBeGreaterThan(0);
    expect(podSpec(objects)['terminationGracePeriodSeconds']).toBeGreaterThan(Number(command[1]) + 10);
  });

  it('starts classlab with the ConfigMap and the Secret: loadConfig accepts them, secrets read from files', () => {
    const main = container(objects);
    const settingsMap = only(objects, 'ConfigMap', main['envFrom'][0]['configMapRef']['name'])['data'] as Record<string, string>;
    const secret = only(objects, 'Secret', podSpec(objects)['volumes'].find((volume: Json) => volume['secret'])['secret']['secretName']);
    const mount = main['volumeMounts'].find((m: Json) => m['mountPath'].startsWith('/run/secrets'))['mountPath'];
    const dir = mkdtempSync(join(tmpdir(), 'classlab-deploy-'));
    dirs.push(dir);
    for (const [key, value] of Object.entries(secret['stringData'] as Record<string, string>)) writeFileSync(join(dir, key), value);
    const env: Record<string, string> = { ...settingsMap };
    for (const variable of main['env'] as Json[]) env[variable['name']] = String(variable['value']).replace(mount, dir);
    const known = new Set(Object.values(settings).map((setting) => setting.env));
    for (const name of Object.keys(env)) expect(known.has(name.replace(/_FILE$/, '')), name).toBe(true);
    // Every secret setting comes from a file of the Secret, none from the environment.
    for (const setting of Object.values(settings)) {
      if ((setting as { secret?: boolean }).secret) expect(Object.keys(env), setting.env).toContain(`${setting.env}_FILE`);
    }
    const config = loadConfig(env);
    expect(config.runtime).toBe('kubernetes');
    expect(config.databaseUrl).toBe((secret['stringData'] as Json)['database-url']);
    expect(config.namespace).toBe(only(objects, 'Role')['metadata']['namespace']);
    // /metrics stays off the public port: the Ingress reaches only the Service's port.
    const metricsPort = main['ports'].find((port: Json) => port['name'] === 'metrics')['containerPort'];
    expect(config.metricsListen).toEqual({ host: '0.0.0.0', port: metricsPort });
    expect((only(objects, 'Service', 'classlab')['spec'] as Json)['ports'].map((port: Json) => port['targetPort'])).not.toContain('metrics');
  });

  it("makes the placeholders' PriorityClass under the setting's default name: below jobs, never preempting", () => {
    const priorityClass = only(objects, 'PriorityClass') as Json;
    expect(priorityClass['metadata']['name']).toBe(settings.placeholderPriorityClass.default);
    expect(priorityClass['value']).toBeLessThan(0);
    expect(priorityClass).toMatchObject({ globalDefault: false, preemptionPolicy: 'Never' });
  });

  it('binds the Deployment\'s ServiceAccount to the jobs\' Role and the nodes\' ClusterRole', () => {
    const account = only(objects, 'ServiceAccount');
    expect(podSpec(objects)['serviceAccountName']).toBe(account.metadata.name);
    const subject = { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace };
    const role = only(objects, 'Role');
    const binding = only(objects, 'RoleBinding') as Json;
    expect(binding['metadata']['namespace']).toBe(role.metadata.namespace);
    expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding['subjects']).toEqual([subject]);
    const clusterBinding = only(objects, 'ClusterRoleBinding') as Json;
    expect(clusterBinding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: only(objects, 'ClusterRole').metadata.name });
    expect(clusterBinding['subjects']).toEqual([subject]);
  });

  it('selects the Deployment\'s pods from the Service and the PodDisruptionBudget, and routes the Ingress to the Service', () => {
    const podLabels = (only(objects, 'Deployment', 'classlab')['spec'] as Json)['template']['metadata']['labels'];
    const service = only(objects, 'Service', 'classlab')['spec'] as Json;
    expect(podLabels).toMatchObject(service['selector']);
    expect(podLabels).toMatchObject((only(objects, 'PodDisruptionBudget')['spec'] as Json)['selector']['matchLabels']);
    expect(container(objects)['ports'].map((port: Json) => port['name'])).toContain(service['ports'][0]['targetPort']);
    const backend = (only(objects, 'Ingress')['spec'] as Json)['rules'][0]['http']['paths'][0]['backend']['service'];
    expect(backend).toEqual({ name: 'classlab', port: { name: service['ports'][0]['name'] } });
  });

  it('agrees with the Containerfile: the same numeric user, port and health route; tini first', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(containerfile);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    expect(podSpec(objects)['securityContext']['runAsUser']).toBe(Number(user?.[1]));
    const exposed = Number(/^EXPOSE (\d+)$/m.exec(containerfile)?.[1]);
    expect(container(objects)['ports'][0]['containerPort']).toBe(exposed);
    expect(container(objects)['env'].find((variable: Json) => variable['name'] === 'PORT')['value']).toBe(String(exposed));
    expect(containerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "dist\/cli\/main\.js"\]$/m);
    expect(containerfile).toMatch(/^HEALTHCHECK [^\n]*\\\n[^\n]*\/livez/m);
    // Production dependencies without `prepare`, which would compile with the dev dependencies.
    expect(containerfile).toMatch(/npm ci --omit=dev --ignore-scripts/);
  });
});
