// A kubeconfig for the simulator. Plain http needs `insecure-skip-tls-verify: true`, without
// which @kubernetes/client-node 1.x refuses an http:// server.
import { writeFileSync } from 'node:fs';

export function kubeconfigYaml(url: string, token: string, namespace: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kube-sim',
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: kube-sim',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: kube-sim',
    '  context:',
    '    cluster: kube-sim',
    '    user: kube-sim',
    `    namespace: ${namespace}`,
    'current-context: kube-sim',
    'preferences: {}',
    '',
  ].join('\n');
}

export function writeKubeconfigFile(path: string, url: string, token: string, namespace: string): void {
  writeFileSync(path, kubeconfigYaml(url, token, namespace), { mode: 0o600 });
}
