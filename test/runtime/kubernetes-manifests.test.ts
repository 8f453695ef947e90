import { describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import type { V1Node } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import type { LaunchSpec } from '../../src/runtime/types.js';
import { jobLabels, sanitiseLabelValue } from '../../src/runtime/kubernetes/labels.js';
import { buildDeployment, buildService, isValidPortName, planJob, type ManifestSettings } from '../../src/runtime/kubernetes/manifests.js';
import { gpusInUseByNode, imageName, nodeInfoOf, nodePortHostOf } from '../../src/runtime/kubernetes/nodes.js';
import { serviceUrls } from '../../src/runtime/kubernetes/urls.js';
import { TEST_MANIFEST_SETTINGS } from './support-k8s.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

// A trailing slash on the mount root must not double up in mount paths.
const settings: ManifestSettings = { ...TEST_MANIFEST_SETTINGS, datasetMountRoot: '/datasets/' };

function spec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    jobId: '0b6c3f4e-6f0a-4d53-9a51-3a7f0e0c2b11',
    userId: 'u-1',
    userName: 'jimmy@nchc',
    courseId: 'c0ffee00-0000-4000-8000-000000000001',
    courseName: 'Deep Learning 101',
    image: 'jupyter/base-notebook:latest',
    gpu: 2,
    datasets: ['mnist', 'cifar10'],
    ports: [],
    ...overrides,
  };
}

describe('label values', () => {
  it('replaces characters labels cannot hold', () => {
    expect(sanitiseLabelValue('jimmy@nchc')).toBe('jimmy-nchc');
    expect(sanitiseLabelValue('Ann Lee/TA')).toBe('Ann-Lee-TA');
  });

  it('starts and ends with an alphanumeric', () => {
    expect(sanitiseLabelValue('__x.y-')).toBe('x.y');
    expect(sanitiseLabelValue('@@@')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('cuts long names to 63 characters and keeps two long names apart with a hash', () => {
    const a = sanitiseLabelValue(`${'a'.repeat(70)}1`);
    const b = sanitiseLabelValue(`${'a'.repeat(70)}2`);
    expect(a).toHaveLength(63);
    expect(a).toMatch(LABEL_VALUE);
    expect(a).not.toBe(b);
    expect(sanitiseLabelValue('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it('never answers an invalid value', () => {
    for (const name of ['é', 'x'.repeat(62) + '.-y', '-'.repeat(80), 'a_'.repeat(40), '名前@学校']) {
      const value = sanitiseLabelValue(name);
      expect(value.length).toBeLessThanOrEqual(63);
      expect(value).toMatch(LABEL_VALUE);
      expect(value).not.toBe('');
    }
  });

  it('labels a job with its id, sanitised user and course', () => {
    expect(jobLabels(spec())).toEqual({
      'app.kubernetes.io/managed-by': 'classlab',
      'classlab.io/job': '0b6c3f4e-6f0a-4d53-9a51-3a7f0e0c2b11',
      'classlab.io/user': 'jimmy-nchc',
      'classlab.io/course': 'c0ffee00-0000-4000-8000-000000000001',
    });
  });
});

describe('a job plan', () => {
  it('takes ports, env and URL path from the catalog, with the token filled in', () => {
    const plan = planJob(spec(), DEFAULT_CATALOG, 'tok123');
    expect(plan).toEqual({ ports: [{ name: 'jupyter', port: 8888 }], env: { JUPYTER_TOKEN: 'tok123' }, urlPath: '/?token=tok123' });
  });

  it('prefers the course ports, and falls back to jupyter 8888 for an unknown image', () => {
    expect(planJob(spec({ ports: [{ name: 'web', port: 80 }] }), DEFAULT_CATALOG, 't').ports).toEqual([{ name: 'web', port: 80 }]);
    expect(planJob(spec({ image: 'example.org/mystery:1' }), DEFAULT_CATALOG, 't')).toEqual({ ports: [{ name: 'jupyter', port: 8888 }], env: {}, urlPath: '' });
  });

  it('checks port names as Kubernetes does', () => {
    expect(isValidPortName('jupyter')).toBe(true);
    expect(isValidPortName('http-2')).toBe(true);
    expect(isValidPortName('Web')).toBe(false);
    expect(isValidPortName('1234')).toBe(false);
    expect(isValidPortName('a-very-long-port-name')).toBe(false);
  });
});

describe('the Deployment and Service of a job', () => {
  const plan = planJob(spec(), DEFAULT_CATALOG, 'secret-token');
  const deployment = buildDeployment(spec(), plan, settings);
  const service = buildService(spec(), plan, settings);
  const container = deployment.spec?.template.spec?.containers[0];

  it('pass the official schemas', () => {
    expect(() => new Deployment(deployment as never).validate()).not.toThrow();
    expect(() => new Service(service as never).validate()).not.toThrow();
  });

  it('keep the real names in annotations', () => {
    expect(deployment.metadata?.annotations).toEqual({ 'classlab.io/user-name': 'jimmy@nchc', 'classlab.io/course-name': 'Deep Learning 101' });
    expect(deployment.spec?.template.metadata?.labels?.['classlab.io/user']).toBe('jimmy-nchc');
  });

  it('ask for the GPUs, CPU and memory', () => {
    expect(container?.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '4', memory: '8Gi', 'nvidia.com/gpu': '2' },
    });
    const cpuOnly = buildDeployment(spec({ gpu: 0 }), plan, settings).spec?.template.spec?.containers[0];
    expect(cpuOnly?.resources?.limits).not.toHaveProperty('nvidia.com/gpu');
  });

  it('mount each dataset read-only and /dev/shm in memory', () => {
    expect(container?.volumeMounts).toEqual([
      { name: 'dataset-0', mountPath: '/datasets/mnist', readOnly: true },
      { name: 'dataset-1', mountPath: '/datasets/cifar10', readOnly: true },
      { name: 'shm', mountPath: '/dev/shm' },
    ]);
    expect(deployment.spec?.template.spec?.volumes).toEqual([
      { name: 'dataset-0', persistentVolumeClaim: { claimName: 'dataset-mnist', readOnly: true } },
      { name: 'dataset-1', persistentVolumeClaim: { claimName: 'dataset-cifar10', readOnly: true } },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } },
    ]);
  });

  it('give the container the token and its named ports', () => {
    expect(container?.env).toEqual([{ name: 'JUPYTER_TOKEN', value: 'secret-token' }]);
    expect(container?.ports).toEqual([{ name: 'jupyter', containerPort: 8888, protocol: 'TCP' }]);
  });

  it('select the job pod from the Service', () => {
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    expect(service.spec?.ports).toEqual([{ name: 'jupyter', port: 8888, targetPort: 'jupyter', protocol: 'TCP' }]);
    expect(service.spec?.type).toBe('NodePort');
  });
});

describe('URLs', () => {
  const plan = planJob(spec(), DEFAULT_CATALOG, 'tok');
  const service = buildService(spec(), plan, settings);
  const assigned = { ...service, spec: { ...service.spec, ports: [{ ...service.spec?.ports?.[0], port: 8888, nodePort: 31234 }] } };

  it('point at the node port with the token path', () => {
    expect(serviceUrls(assigned, '10.0.0.5')).toEqual([{ label: 'jupyter', value: 'http://10.0.0.5:31234/?token=tok' }]);
    expect(serviceUrls(assigned, 'fd00::5')[0]?.value).toBe('http://[fd00::5]:31234/?token=tok');
  });

  it('keep the scheme of a configured node host (CLASSLAB_NODEPORT_HOST=https://host)', () => {
    const nodeHost = loadConfig({ CLASSLAB_NODEPORT_HOST: 'https://gpu.lab.example.edu' }).nodePortHost;
    expect(serviceUrls(assigned, nodeHost)[0]?.value).toBe('https://gpu.lab.example.edu:31234/?token=tok');
    const plain = loadConfig({ CLASSLAB_NODEPORT_HOST: 'http://host' }).nodePortHost;
    expect(serviceUrls(assigned, plain)[0]?.value).toBe('http://host:31234/?token=tok');
    const bare = loadConfig({ CLASSLAB_NODEPORT_HOST: '[fd00::5]' }).nodePortHost;
    expect(serviceUrls(assigned, bare)[0]?.value).toBe('http://[fd00::5]:31234/?token=tok');
  });

  it('point at the cluster DNS name for a ClusterIP Service', () => {
    const clusterIp = buildService(spec(), plan, { ...settings, serviceType: 'ClusterIP' });
    expect(serviceUrls(clusterIp, undefined)).toEqual([
      { label: 'jupyter', value: 'http://classlab-0b6c3f4e-6f0a-4d53-9a51-3a7f0e0c2b11.labs.svc:8888/?token=tok' },
    ]);
  });
});

describe('nodes', () => {
  const node = (name: string, ready: boolean, addresses: [string, string][]): V1Node => ({
    metadata: { name },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      addresses: addresses.map(([type, address]) => ({ type, address })),
      allocatable: { 'nvidia.com/gpu': '4', cpu: '32' },
      images: [
        { names: ['nvcr.io/nvidia/pytorch@sha256:abc', 'nvcr.io/nvidia/pytorch:24.01-py3'] },
        { names: ['docker.io/library/busybox@sha256:def'] },
      ],
    },
  });

  it('serve NodePorts from the first Ready node, external address first', () => {
    const nodes = [node('a', false, [['ExternalIP', '1.1.1.1']]), node('b', true, [['InternalIP', '10.0.0.2'], ['ExternalIP', '2.2.2.2']])];
    expect(nodePortHostOf(nodes)).toBe('2.2.2.2');
    expect(nodePortHostOf([node('c', true, [['InternalIP', '10.0.0.3']])])).toBe('10.0.0.3');
    expect(nodePortHostOf([node('d', false, [['InternalIP', '10.0.0.4']])])).toBeUndefined();
  });

  it("count the GPUs held per node by pods that have not ended, from their containers' limits", () => {
    const pod = (nodeName: string | undefined, phase: string, limits: Array<Record<string, string>>) => ({
      spec: { ...(nodeName ? { nodeName } : {}), containers: limits.map((limit, i) => ({ name: `c${i}`, resources: { limits: limit } })) },
      status: { phase },
    });
    const used = gpusInUseByNode(
      [
        pod('gpu-1', 'Running', [{ 'nvidia.com/gpu': '2' }, { cpu: '1' }]),
        pod('gpu-1', 'Pending', [{ 'nvidia.com/gpu': '1' }]),
        pod('gpu-2', 'Succeeded', [{ 'nvidia.com/gpu': '4' }]),
        pod(undefined, 'Pending', [{ 'nvidia.com/gpu': '1' }]),
        pod('gpu-3', 'Running', [{ 'amd.com/gpu': '1' }]),
      ],
      'nvidia.com/gpu',
    );
    expect(Object.fromEntries(used)).toEqual({ 'gpu-1': 3, 'gpu-3': 0 });
  });

  it('report readiness, GPUs and image names without digests', () => {
    expect(nodeInfoOf(node('gpu-1', true, []), 'nvidia.com/gpu')).toEqual({
      name: 'gpu-1',
      ready: true,
      gpuAllocatable: 4,
      images: ['nvcr.io/nvidia/pytorch:24.01-py3', 'busybox'],
    });
    expect(nodeInfoOf(node('cpu-1', false, []), 'amd.com/gpu').gpuAllocatable).toBe(0);
    expect(nodeInfoOf(node('gpu-1', true, []), 'nvidia.com/gpu', new Map([['gpu-1', 3]])).gpuInUse).toBe(3);
    expect(nodeInfoOf(node('gpu-1', true, []), 'nvidia.com/gpu', new Map()).gpuInUse).toBe(0);
    expect(imageName({ names: [] })).toBeUndefined();
    expect(imageName({ names: ['docker.io/jupyter/base-notebook:latest'] })).toBe('jupyter/base-notebook:latest');
  });
});
