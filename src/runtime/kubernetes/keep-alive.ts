import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import {
  createConfiguration,
  ServerConfiguration,
  type Configuration,
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';

/** The agent options that decide whom a connection trusts and is: connections made with others are not reused. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/**
 * The kubeconfig's authentication, with connections kept open between API calls. client-node makes
 * a new agent for every call, so each call opened a connection of its own (to a real API server, a
 * TLS handshake of its own): a launch's creates, a failed job's deletes, each paid for one. The
 * agent is made again when the TLS options change (a client certificate renewed by an exec
 * plugin); agents of proxies are left as client-node makes them. Idle connections do not keep the
 * process alive (Node unrefs them), and a server's close ends them.
 */
export class KeepAliveAuthentication implements SecurityAuthentication {
  private kept: { key: string; agent: HttpAgent } | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {}

  getName(): string {
    return 'kubeconfig with connections kept alive';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (made?.constructor !== HttpAgent && made?.constructor !== HttpsAgent) return;
    const options: AgentOptions = made instanceof HttpsAgent ? made.options : {};
    const key = `${made.constructor.name} ${tlsKey(options)}`;
    if (this.kept?.key !== key) {
      this.kept?.agent.destroy();
      const agent = made instanceof HttpsAgent ? new HttpsAgent({ ...options, keepAlive: true }) : new HttpAgent({ keepAlive: true });
      this.kept = { key, agent };
    }
    context.setAgent(this.kept.agent);
  }
}

function tlsKey(options: AgentOptions): string {
  const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('base64') : Array.isArray(value) ? value.map(text).join(',') : String(value));
  return TLS_OPTIONS.map((name) => text(options[name])).join('|');
}

/** An API client of `type` for the kubeconfig's current cluster, through `authentication`. */
export function apiClientOf<T>(type: new (configuration: Configuration) => T, kubeConfig: KubeConfig, authentication: SecurityAuthentication): T {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the Kubernetes configuration names no current cluster');
  return new type(createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: authentication } }));
}
