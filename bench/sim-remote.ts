// The bench's handle on the simulator in its own process (sim-process.ts): the same controls as
// the in-process one, over the simulator's HTTP API (/_sim/… and the Kubernetes REST API).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeSimOptions } from '../test/kube-sim/index.js';
import { send, sendOk } from './http-client.js';
import { cpuProfileArgs } from './server.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

export class RemoteSimulator {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly kubeconfigPath: string,
    private readonly token: string,
  ) {}

  /** `cpuProfileDir`: write the simulator's V8 CPU profile there when it stops. */
  static async start(options: KubeSimOptions & { token: string }, cpuProfileDir?: string): Promise<RemoteSimulator> {
    const child = spawn(process.execPath, [...cpuProfileArgs(cpuProfileDir), '--import', 'tsx', join(BENCH_DIR, 'sim-process.ts'), JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const started = await new Promise<{ url: string; kubeconfigPath: string }>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const end = out.indexOf('\n');
        if (end >= 0) resolve(JSON.parse(out.slice(0, end)) as { url: string; kubeconfigPath: string });
      });
      child.once('exit', (code) => reject(new Error(`the simulator exited ${code}`)));
    });
    return new RemoteSimulator(child, started.url, started.kubeconfigPath, options.token);
  }

  /** Request counters keyed `<verb> <resource>`, as KubeSimulator.stats(). */
  async stats(): Promise<Record<string, number>> {
    return JSON.parse((await sendOk(this.url, { method: 'GET', path: '/_sim/stats', token: this.token })).text) as Record<string, number>;
  }

  async resetStats(): Promise<void> {
    await sendOk(this.url, { method: 'POST', path: '/_sim/reset-stats', token: this.token, body: {} });
  }

  async count(resource: string, namespace: string): Promise<number> {
    const answer = await sendOk(this.url, { method: 'GET', path: `/_sim/objects/${resource}?namespace=${encodeURIComponent(namespace)}`, token: this.token });
    return (JSON.parse(answer.text) as unknown[]).length;
  }

  /** As an administrator would, through the API; the Deployment's ReplicaSet and pod follow. */
  async deleteDeployment(namespace: string, name: string): Promise<void> {
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}?propagationPolicy=Background`;
    const answer = await send(this.url, { method: 'DELETE', path, token: this.token });
    if (answer.status !== 200 && answer.status !== 404) throw new Error(`DELETE ${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
