// `npm run kube-sim -- --port 6443 --kubeconfig ./kube-sim.kubeconfig --nodes 2 --gpus 2 --datasets mnist,cifar-10`
// Runs the simulator until Ctrl-C, for driving the kubernetes runtime (or kubectl) by hand.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeSimulator, type SimNode } from './index.js';

const usage = `Usage: npm run kube-sim -- [options]
  --port N              port on 127.0.0.1 (default 6443; 0 for any free port)
  --kubeconfig PATH     where to write the kubeconfig (default ./kube-sim.kubeconfig)
  --nodes N             number of nodes (default 2)
  --gpus N              GPUs per node (default 2)
  --images a,b          images already on every node
  --datasets a,b        datasets, served as Bound PVCs named dataset-<name>
  --namespace NAME      namespace the kubeconfig points at (default default)
  --failing-images p,q  glob patterns of images whose pull fails
  --delay-ms N          scheduling, pull and readiness delay each (default 500)
  --help`;

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number, got ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      kubeconfig: { type: 'string' },
      nodes: { type: 'string' },
      gpus: { type: 'string' },
      images: { type: 'string' },
      datasets: { type: 'string' },
      namespace: { type: 'string' },
      'failing-images': { type: 'string' },
      'delay-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const gpus = integer(values.gpus, 2, 'gpus');
  const images = list(values.images);
  const nodes: SimNode[] = Array.from({ length: integer(values.nodes, 2, 'nodes') }, (_, index) => ({
    name: `node-${index + 1}`,
    gpus,
    images,
  }));
  // People watch this happen, so the default delays are long enough to see each step.
  const delay = integer(values['delay-ms'], 500, 'delay-ms');
  const sim = await startKubeSimulator({
    port: integer(values.port, 6443, 'port'),
    nodes,
    datasets: list(values.datasets).map((name) => `dataset-${name}`),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    failingImages: list(values['failing-images']),
    delays: { scheduleMs: delay, pullMs: delay, readyMs: delay },
  });
  const kubeconfig = resolve(values.kubeconfig ?? './kube-sim.kubeconfig');
  sim.writeKubeconfig(kubeconfig);
  console.log(`kube-sim listening on ${sim.url}`);
  console.log(`kubeconfig: ${kubeconfig}`);
  console.log(`try: KUBECONFIG=${kubeconfig} kubectl get nodes`);
  console.log('controls: GET /_sim/stats, POST /_sim/fail, POST /_sim/drop-watches, POST /_sim/nodes/<name>/ready');

  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(usage);
  process.exit(1);
});
