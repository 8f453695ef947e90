import { describe, expect, it } from 'vitest';
import { currentStep, STEPS, type ClusterEvent } from '../src/progress';

const event = (reason: string): ClusterEvent => ({ level: 'Normal', reason, message: '', at: '' });
const pending = { status: 'Pending', ready: false, reason: null, service: [] };
const stepOf = (events: ClusterEvent[], state = pending) => STEPS[currentStep(state, events)] ?? 'all done';

describe('launch steps from the cluster’s events', () => {
  it('moves on as the scheduler and the kubelet report', () => {
    expect(stepOf([])).toBe('scheduling');
    expect(stepOf([event('FailedScheduling')])).toBe('scheduling');
    expect(stepOf([event('Scheduled')])).toBe('pulling');
    expect(stepOf([event('Scheduled'), event('Pulling')])).toBe('pulling');
    expect(stepOf([event('Scheduled'), event('Pulled')])).toBe('starting');
    expect(stepOf([event('Started')])).toBe('starting');
    expect(stepOf([event('Started')], { ...pending, status: 'Ready', ready: true })).toBe('all done');
  });
});
