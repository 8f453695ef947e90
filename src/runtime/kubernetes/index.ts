export { KubernetesRuntime, type KubernetesRuntimeOptions } from './runtime.js';
export { kubernetesRuntimeFromConfig } from './from-config.js';
export { MANAGED_SELECTOR, sanitiseLabelValue } from './labels.js';
