import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartQueue } from '../../src/runtime/local/start-queue.js';
import { RuntimeBusy, type RuntimeUpdate } from '../../src/runtime/types.js';
import { eventually, launchSpec, startTestRuntime, TEST_CATALOG, waitForState, type TestRuntime } from './support-local.js';

let current: TestRuntime | undefined;

afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

/** A start queue of one whose slot is taken until `release()`: launched jobs wait in it. */
function heldQueue(): { queue: StartQueue; release: () => void } {
  const queue = new StartQueue(1);
  let release!: () => void;
  queue.enqueue('blocker', () => new Promise<void>((resolve) => (release = resolve)));
  return { queue, release };
}

function eventReasons(updates: readonly RuntimeUpdate[], jobId: string): string[] {
  return updates.flatMap((update) => (update.kind === 'event' && update.jobId === jobId ? [update.reason] : []));
}

describe('start queue', () => {
  it('runs starts in order, no more at once than its concurrency, and a cancelled one never', async () => {
    const queue = new StartQueue(2);
    const began: string[] = [];
    const finish = new Map<string, () => void>();
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      queue.enqueue(id, () => {
        began.push(id);
        return new Promise<void>((resolve) => finish.set(id, resolve));
      });
    }
    expect(began).toEqual(['a', 'b']);
    expect(queue.position('a')).toEqual({ waiting: false });
    expect(queue.position('c')).toEqual({ waiting: true, ahead: 0 });
    expect(queue.position('e')).toEqual({ waiting: true, ahead: 2 });
    expect(queue.cancel('d')).toBe(true);
    expect(queue.cancel('a')).toBe(false);
    expect(queue.position('e')).toEqual({ waiting: true, ahead: 1 });

    finish.get('b')?.();
    await eventually(() => began.length === 3, 1000, 'the third start');
    expect(began).toEqual(['a', 'b', 'c']);
    finish.get('a')?.();
    await eventually(() => began.length === 4, 1000, 'the fourth start');
    expect(began).toEqual(['a', 'b', 'c', 'e']);
    expect(queue.position('d')).toBeUndefined();
    expect(() => new StartQueue(0)).toThrow(RangeError);
  });
});

describe('local runtime: launches answer after admission', () => {
  it('answers before the process starts; the job waits its turn, Pending, with nothing made on disk', async () => {
    const { queue, release } = heldQueue();
    const test = (current = await startTestRuntime({ startQueue: queue }));
    const first = launchSpec();
    const second = launchSpec();
    const [{ services }] = await Promise.all([test.runtime.launch(first), test.runtime.launch(second)]);

    expect(services[0]?.value).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await test.runtime.jobs()).toEqual([
      { jobId: first.jobId, state: { status: 'Pending', reason: 'waiting to start (0 ahead)' }, services, complete: true },
      expect.objectContaining({ jobId: second.jobId, state: { status: 'Pending', reason: 'waiting to start (1 ahead)' }, complete: true }),
    ]);
    expect(eventReasons(test.updates, first.jobId)).toEqual(['Queued']);
    expect(existsSync(join(test.dataDir, 'jobs', first.jobId))).toBe(false);
    // Both hold their places: a third launch of the same id is refused, and they count as running.
    await expect(test.runtime.launch(first)).rejects.toThrow(`job ${first.jobId} is already running`);

    release();
    await waitForState(test.runtime, first.jobId, 'Ready');
    await waitForState(test.runtime, second.jobId, 'Ready');
    expect(eventReasons(test.updates, first.jobId)).toEqual(['Queued', 'Started', 'Ready']);
    const started = test.updates.filter((update) => update.kind === 'event' && update.reason === 'Started').map((update) => update.jobId);
    expect(started).toEqual([first.jobId, second.jobId]);
  });

  it('a stop of a job still waiting takes it out of the queue: it never starts, and its GPU goes back', async () => {
    const { queue, release } = heldQueue();
    const test = (current = await startTestRuntime({ startQueue: queue, gpus: ['0'] }));
    const stopped = launchSpec({ gpu: 1 });
    const kept = launchSpec();
    await test.runtime.launch(stopped);
    await test.runtime.launch(kept);

    await test.runtime.stop(stopped.jobId);
    expect((await test.runtime.jobs()).map((job) => [job.jobId, job.state])).toEqual([[kept.jobId, { status: 'Pending', reason: 'waiting to start (0 ahead)' }]]);
    expect((await test.runtime.nodes())[0]).toMatchObject({ gpuInUse: 0 });
    release();
    await waitForState(test.runtime, kept.jobId, 'Ready');
    expect(eventReasons(test.updates, stopped.jobId)).toEqual(['Queued']);
    expect(existsSync(join(test.dataDir, 'jobs', stopped.jobId))).toBe(false);
  });

  it('counts jobs waiting to start against CLASSLAB_LOCAL_MAX_JOBS, and frees the place of one stopped', async () => {
    const { queue } = heldQueue();
    const test = (current = await startTestRuntime({ startQueue: queue, maxJobs: 2 }));
    const first = launchSpec();
    await Promise.all([test.runtime.launch(first), test.runtime.launch(launchSpec())]);
    await expect(test.runtime.launch(launchSpec())).rejects.toBeInstanceOf(RuntimeBusy);
    await test.runtime.stop(first.jobId);
    await test.runtime.launch(launchSpec());
  });

  it('close() with jobs waiting: they never start, and nothing of them is left', async () => {
    const { queue } = heldQueue();
    const test = (current = await startTestRuntime({ startQueue: queue }));
    const specs = [launchSpec(), launchSpec()];
    for (const spec of specs) await test.runtime.launch(spec);
    await test.runtime.close();
    expect(await test.runtime.jobs()).toEqual([]);
    for (const spec of specs) {
      expect(eventReasons(test.updates, spec.jobId)).toEqual(['Queued']);
      expect(existsSync(join(test.dataDir, 'jobs', spec.jobId))).toBe(false);
    }
  });

  it('a start that fails reports the job Failed with the reason, removes its work folder and frees its GPU', async () => {
    const programDir = await mkdtemp(join(tmpdir(), 'classlab-vanishing-'));
    const program = join(programDir, 'vanishing-program');
    writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const catalog = [...TEST_CATALOG, { name: 'vanishing', match: ['test/vanishing'], ports: [{ name: 'web', port: 80 }], local: { command: [program] } }];
    const { queue, release } = heldQueue();
    // Unsandboxed, the job's program is the process spawned: removed after admission, its spawn fails.
    const test = (current = await startTestRuntime({ startQueue: queue, gpus: ['0'], isolation: 'off', catalog }));
    const spec = launchSpec({ image: 'test/vanishing', gpu: 1 });
    await test.runtime.launch(spec);
    await rm(programDir, { recursive: true });
    release();

    const failed = await waitForState(test.runtime, spec.jobId, 'Failed');
    expect(failed).toEqual({ status: 'Failed', reason: expect.stringMatching(new RegExp(`^could not start "${program}" for image test/vanishing: spawn .*ENOENT`)) });
    expect(eventReasons(test.updates, spec.jobId)).toEqual(['Queued', 'FailedStart']);
    expect(existsSync(join(test.dataDir, 'jobs', spec.jobId))).toBe(false);
    // Listed Failed, so reconciling reads why, until the jobs service stops it.
    expect((await test.runtime.jobs()).map((job) => job.state)).toEqual([failed]);
    const next = launchSpec({ gpu: 1 });
    await test.runtime.launch(next);
    await test.runtime.stop(spec.jobId);
    expect((await test.runtime.jobs()).map((job) => job.jobId)).toEqual([next.jobId]);
    await waitForState(test.runtime, next.jobId, 'Ready');
  });
});
