import type { JobStatus, Labelled } from './api/types';

export interface JobState {
  status: JobStatus;
  ready: boolean;
  reason: string | null;
  service: Labelled[];
}

export interface ClusterEvent {
  level: 'Normal' | 'Warning';
  reason: string;
  message: string;
  at: string;
}

export const STEPS = ['created', 'scheduling', 'pulling', 'starting', 'ready'] as const;
export type Step = (typeof STEPS)[number];

/** The cluster's event reasons that show a step is behind the job (Kubernetes' kubelet and scheduler words). */
const PASSED_BY: Record<Step, readonly string[]> = {
  created: [],
  scheduling: ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started'],
  pulling: ['Pulled', 'Created', 'Started'],
  starting: [],
  ready: [],
};

/** How far the launch is: steps before the index are done; the one at it is under way. */
export function currentStep(state: JobState | undefined, events: readonly ClusterEvent[]): number {
  if (state?.status === 'Ready') return STEPS.length;
  const seen = new Set(events.map((event) => event.reason));
  let step = 1;
  while (step < STEPS.length - 2 && PASSED_BY[STEPS[step] as Step].some((reason) => seen.has(reason))) step++;
  return step;
}

export const isOver = (state: JobState | undefined) => state?.status === 'Failed' || state?.status === 'Deleted';
