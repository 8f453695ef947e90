/** The local runtime: jobs as processes on this machine. */
export { LocalRuntime, localRuntimeFromConfig, type LocalRuntimeOptions } from './local-runtime.js';
