// Which classrooms want placeholders, and how many GPUs: from `lead` minutes before a window until
// it ends, the reserved GPUs less those the classroom's own active jobs hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeholderPlanner, wantedPlaceholders } from '../../src/classrooms/placeholders.js';
import type { JobRuntime, PlaceholderWant } from '../../src/runtime/types.js';
import type { Store } from '../../src/store/store.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { storeTargets } from '../support/stores.js';
import { at, seedClassroom, seedJob } from './placeholder-seed.js';

describe.each(storeTargets)('placeholders wanted ($name)', (target) => {
  let store: Store;
  beforeAll(async () => {
    store = await target.open();
  });
  afterAll(async () => store?.close());

  it('from lead minutes before a window until it ends, each classroom with its own lead', async () => {
    const lecture = await seedClassroom(store.db, { reservedGpu: 3, leadMinutes: 10, windows: [{ startsAt: at('09:00:00'), endsAt: at('12:00:00') }] });
    const noLead = await seedClassroom(store.db, { reservedGpu: 1, leadMinutes: 0, windows: [{ startsAt: at('09:00:00'), endsAt: at('10:00:00') }] });
    await seedClassroom(store.db, { reservedGpu: 0, windows: [{ startsAt: at('09:00:00'), endsAt: at('12:00:00') }] });
    const wanted = (time: string) => wantedPlaceholders(store.db, at(time));
    const sorted = (wants: PlaceholderWant[]) => [...wants].sort((a, b) => a.gpu - b.gpu);

    expect(await wanted('08:49:59')).toEqual([]);
    expect(await wanted('08:50:00')).toEqual([{ classroomId: lecture, gpu: 3 }]);
    expect(sorted(await wanted('09:00:00'))).toEqual([{ classroomId: noLead, gpu: 1 }, { classroomId: lecture, gpu: 3 }]);
    expect(await wanted('10:00:00')).toEqual([{ classroomId: lecture, gpu: 3 }]);
    expect(await wanted('12:00:00')).toEqual([]);
  });

  it('less the GPUs its own active jobs hold, never below none; ended jobs and other jobs do not count', async () => {
    const room = await seedClassroom(store.db, { reservedGpu: 4, windows: [{ startsAt: at('09:00:00', '2027-03-01'), endsAt: at('12:00:00', '2027-03-01') }] });
    const now = at('09:30:00', '2027-03-01');
    const mine = async () => (await wantedPlaceholders(store.db, now)).find((want) => want.classroomId === room);
    await seedJob(store.db, room, 1, 'Ready');
    await seedJob(store.db, room, 1, 'Created');
    await seedJob(store.db, room, 2, 'Deleted');
    await seedJob(store.db, null, 2, 'Ready');
    expect(await mine()).toEqual({ classroomId: room, gpu: 2 });
    await seedJob(store.db, room, 2, 'Pending');
    expect(await mine()).toBeUndefined();
    await seedJob(store.db, room, 1, 'Ready');
    expect(await mine()).toBeUndefined();
  });

  it('is planned only when the setting is on and the runtime has placeholders', () => {
    const kubernetesLike: JobRuntime = Object.assign(new ScriptedRuntime(), { placeholders: { sync: async () => undefined } });
    expect(placeholderPlanner('off', store.db, kubernetesLike)).toBeUndefined();
    expect(placeholderPlanner('on', store.db, new ScriptedRuntime())).toBeUndefined();
    expect(placeholderPlanner('on', store.db, kubernetesLike)).toBeDefined();
  });
});

