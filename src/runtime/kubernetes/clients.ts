/** The API clients the runtime uses, from a kubeconfig file, the in-cluster service account, or the default. */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, StorageV1Api, Watch } from '@kubernetes/client-node';
import { RuntimeSetupError } from '../types.js';
import { apiClientOf, KeepAliveAuthentication } from './keep-alive.js';

export interface KubernetesClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  /** StorageClasses: whether a home's class lets it grow. */
  storage: StorageV1Api;
  watch: Watch;
  /** The API server's address, for logs (never the credentials). */
  server: string;
}

/**
 * KUBECONFIG may list several files, as kubectl allows; they merge, and the first one's context
 * is the current one.
 */
function loadFromFiles(kubeConfig: KubeConfig, paths: string): void {
  const [first, ...rest] = paths.split(delimiter).filter((file) => file !== '');
  if (first === undefined) throw new Error('no file named');
  kubeConfig.loadFromFile(first);
  for (const file of rest) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kubeConfig.mergeConfig(more, true);
  }
}

/** A path wins; without one, in-cluster config when running in a pod, else the usual ~/.kube/config. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  const inCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST);
  const defaultFile = join(homedir(), '.kube', 'config');
  // With nothing to load, client-node falls back to http://localhost:8080, which is no cluster
  // (often classlab's own port): every call would then fail, long after a start that looked fine.
  if (path === undefined && !inCluster && !existsSync(defaultFile)) {
    throw new RuntimeSetupError(`CLASSLAB_RUNTIME=kubernetes needs a cluster: set KUBECONFIG to a kubeconfig file, or run classlab inside a cluster (there is no ${defaultFile})`);
  }
  try {
    if (path !== undefined) loadFromFiles(kubeConfig, path);
    else if (inCluster) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromDefault();
  } catch (error) {
    const source = path ?? (inCluster ? 'the in-cluster service account' : defaultFile);
    throw new RuntimeSetupError(`cannot load the Kubernetes configuration from ${source}: ${(error as Error).message}`, { cause: error });
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new RuntimeSetupError(`the Kubernetes configuration${path ? ` in ${path}` : ''} names no current cluster`);
  }
  return kubeConfig;
}

export function makeClients(kubeConfig: KubeConfig): KubernetesClients {
  // One set of kept-alive connections for all three.
  const authentication = new KeepAliveAuthentication(kubeConfig);
  return {
    apps: apiClientOf(AppsV1Api, kubeConfig, authentication),
    core: apiClientOf(CoreV1Api, kubeConfig, authentication),
    storage: apiClientOf(StorageV1Api, kubeConfig, authentication),
    watch: new Watch(kubeConfig),
    server: kubeConfig.getCurrentCluster()?.server ?? 'unknown',
  };
}
