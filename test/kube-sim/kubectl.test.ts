// The real kubectl against the simulator: the check that it is faithful enough for a real client.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimulator } from './index.js';
import { eventually } from './test-client.js';

function findKubectl(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const kubectlPath = findKubectl();
const run = promisify(execFile);

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: notebook
  labels: {app: notebook}
spec:
  replicas: 1
  selector:
    matchLabels: {app: notebook}
  template:
    metadata:
      labels: {app: notebook}
    spec:
      containers:
      - name: jupyter
        image: jupyter/base-notebook:latest
        ports:
        - {name: jupyter, containerPort: 8888}
        resources:
          limits: {nvidia.com/gpu: 1}
`;

describe.skipIf(!kubectlPath)(`kubectl against kube-sim${kubectlPath ? '' : ' (skipped: no kubectl on PATH)'}`, () => {
  let sim: KubeSimulator;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(kubectlPath ?? 'kubectl', args, {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir },
      timeout: 20_000,
    });
    return stdout;
  };

  beforeAll(async () => {
    sim = await startKubeSimulator({ datasets: ['dataset-mnist', 'dataset-cifar-10'] });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    sim.writeKubeconfig(join(dir, 'kubeconfig'));
    writeFileSync(join(dir, 'notebook.yaml'), manifest);
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets nodes as JSON', async () => {
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: KubeObject[] };
    expect(nodes.items.map((node) => node.metadata.name)).toEqual(['node-1', 'node-2']);
    expect(nodes.items[0]?.status?.['allocatable']).toMatchObject({ 'nvidia.com/gpu': '2' });
  });

  it('creates a Deployment from a file, with kubectl\'s own validation on', async () => {
    expect(await kubectl('create', '-f', join(dir, 'notebook.yaml'))).toBe('deployment.apps/notebook created\n');
  });

  it('shows the Deployment Ready once the controller has run', async () => {
    const ready = await eventually(async () => {
      const deployment = JSON.parse(await kubectl('get', 'deployment', 'notebook', '-o', 'json')) as KubeObject;
      return deployment.status?.['readyReplicas'] === 1 ? deployment : undefined;
    }, 15_000, 'a ready deployment');
    expect(ready.status).toMatchObject({ availableReplicas: 1, updatedReplicas: 1, observedGeneration: 1 });
  });

  it('gets pods by label, printed as the server\'s table', async () => {
    const table = await kubectl('get', 'pods', '-l', 'app=notebook');
    const [header, row, ...rest] = table.trim().split('\n');
    expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(row).toMatch(/^notebook-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+$/);
    expect(rest).toEqual([]);
    expect((await kubectl('get', 'pods', '-l', 'app=other', '-o', 'name')).trim()).toBe('');
  });

  it('gets the dataset PVCs', async () => {
    const table = await kubectl('get', 'pvc');
    expect(table).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+AGE\n/);
    expect(table).toMatch(/\ndataset-cifar-10\s+Bound\s+pvc-\S+\s+10Gi\s+ROX\s+standard\s+\S+\n/);
    expect(table).toMatch(/\ndataset-mnist\s+Bound\s/);
  });

  it('deletes the Deployment and its pods go with it', async () => {
    expect(await kubectl('delete', 'deployment', 'notebook')).toBe('deployment.apps "notebook" deleted\n');
    expect((await kubectl('get', 'pods', '-l', 'app=notebook', '-o', 'name')).trim()).toBe('');
    expect(sim.objects('pods', 'default')).toEqual([]);
  });

  it('reports the API server\'s errors verbatim', async () => {
    await expect(kubectl('get', 'deployment', 'notebook')).rejects.toMatchObject({
      stderr: expect.stringContaining('Error from server (NotFound): deployments.apps "notebook" not found'),
    });
  });
});
