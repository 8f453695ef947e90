import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import type { JobRuntime } from './types.js';

/**
 * The runtime CLASSLAB_RUNTIME names. Each is loaded only when chosen, so a local start does not
 * load the Kubernetes client.
 */
export async function createRuntime(config: Config, logger: Logger): Promise<JobRuntime> {
  if (config.runtime === 'kubernetes') {
    const { kubernetesRuntimeFromConfig } = await import('./kubernetes/index.js');
    return kubernetesRuntimeFromConfig(config, logger.child({ runtime: 'kubernetes' }));
  }
  const { localRuntimeFromConfig } = await import('./local/index.js');
  return localRuntimeFromConfig(config, logger.child({ runtime: 'local' }));
}
