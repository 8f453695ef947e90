/** The Kubernetes runtime as the configuration describes it (see config/runtime-settings.ts). */

import type { Logger } from 'pino';
import type { Config } from '../../config/settings.js';
import { KubernetesRuntime } from './runtime.js';

export function kubernetesRuntimeFromConfig(config: Config, logger: Logger): KubernetesRuntime {
  return new KubernetesRuntime({
    ...(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}),
    ...(config.nodePortHost !== undefined ? { nodePortHost: config.nodePortHost } : {}),
    namespace: config.namespace,
    gpuResource: config.gpuResource,
    datasetPrefix: config.datasetPrefix,
    datasetMountRoot: config.datasetMountRoot,
    cpuRequest: config.jobCpuRequest,
    cpuLimit: config.jobCpuLimit,
    memoryRequest: config.jobMemoryRequest,
    memoryLimit: config.jobMemoryLimit,
    shmSize: config.shmSize,
    serviceType: config.serviceType,
    homeAccessMode: config.homeAccessMode,
    ...(config.homeStorageClass !== undefined ? { homeStorageClass: config.homeStorageClass } : {}),
    placeholderPriorityClass: config.placeholderPriorityClass,
    placeholderImage: config.placeholderImage,
    catalog: config.imageCatalog,
    logger,
  });
}
