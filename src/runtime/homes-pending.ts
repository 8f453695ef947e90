/**
 * TEMPORARY, removed before this work lands: the real runtimes' homes are being written
 * (local folders, Kubernetes claims). Until then a runtime without them refuses plainly.
 */

import { RuntimeError, type HomeRef, type HomeStatus, type HomeVolumes } from './types.js';

export function homesNotYetBuilt(kind: string): HomeVolumes {
  const refuse = async (): Promise<never> => {
    throw new RuntimeError(`homes are not built for the ${kind} runtime yet`);
  };
  return {
    singleAttach: false,
    ensure: refuse as (home: HomeRef) => Promise<HomeStatus>,
    status: async () => ({ state: 'Absent' }),
    expand: refuse,
    remove: refuse,
  };
}
