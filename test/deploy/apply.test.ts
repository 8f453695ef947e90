// `kubectl apply -k deploy/overlays/example` against the simulated API server: the real client
// accepts the overlay, the server stores every object, and the Deployment's two pods come up.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimulator } from '../kube-sim/index.js';
import { eventually } from '../kube-sim/test-client.js';
import { findKubectl, OVERLAY, renderOverlay, resourceOfKind } from './render.js';

const kubectlPath = findKubectl();
const run = promisify(execFile);

describe.skipIf(!kubectlPath)(`kubectl apply -k deploy/overlays/example${kubectlPath ? '' : ' (skipped: no kubectl on PATH)'}`, () => {
  let sim: KubeSimulator;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(kubectlPath ?? 'kubectl', args, { env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir }, timeout: 30_000 });
    return stdout;
  };

  beforeAll(async () => {
    sim = await startKubeSimulator();
    dir = mkdtempSync(join(tmpdir(), 'classlab-apply-'));
    sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates every object of the overlay, and the Deployment runs two Ready pods', { timeout: 60_000 }, async () => {
    const output = await kubectl('apply', '-k', OVERLAY);
    const rendered = renderOverlay(kubectlPath ?? 'kubectl');
    for (const object of rendered) {
      expect(output).toContain(`/${object.metadata.name} created`);
      const stored = sim.objects(resourceOfKind[object.kind ?? ''] ?? '', object.metadata.namespace).map((found) => found.metadata.name);
      expect(stored, `${object.kind} ${object.metadata.name}`).toContain(object.metadata.name);
    }
    const isReady = (pod: KubeObject): boolean =>
      ((pod['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    await eventually(() => sim.objects('pods', 'classlab').filter(isReady).length === 2, 10_000, 'two Ready classlab pods');
  });

  it('applies again without creating anything or rolling the Deployment', { timeout: 60_000 }, async () => {
    const output = await kubectl('apply', '-k', OVERLAY);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(renderOverlay(kubectlPath ?? 'kubectl').length);
    // The simulator's OpenAPI has no schemas, so kubectl cannot tell that a PDB's selector is
    // replaced whole and sends it again ("configured"); a real API server's answers "unchanged".
    expect(lines.filter((line) => !line.endsWith(' unchanged') && !line.startsWith('poddisruptionbudget.'))).toEqual([]);
    expect(sim.objects('deployments', 'classlab')[0]?.metadata.generation).toBe(1);
  });
});
