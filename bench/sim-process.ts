// The Kubernetes simulator in a process of its own, so that T3 and T6 measure classlab, not the
// simulator sharing a core's event loop with the load generator and a thousand event streams.
// Started by RemoteSimulator (sim-remote.ts) with its options as JSON in argv; it writes its
// URL and kubeconfig path as one JSON line on stdout, and stops on SIGTERM or when its stdin closes.
import { startKubeSimulator, type KubeSimOptions } from '../test/kube-sim/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as KubeSimOptions;
const sim = await startKubeSimulator(options);
process.stdout.write(`${JSON.stringify({ url: sim.url, kubeconfigPath: sim.kubeconfigPath })}\n`);
const stop = (): void => void sim.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
// The bench holds our stdin: when it ends, even by a crash, so does the simulator.
process.stdin.on('end', stop).resume();
