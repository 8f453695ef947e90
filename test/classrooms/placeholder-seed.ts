// Classrooms, windows and jobs written straight into the store, for the placeholder tests: the
// planner reads only the store, so no route is needed to set a calendar up.
import { randomUUID } from 'node:crypto';
import { classrooms, classroomWindows, courses, jobs, users, type JobStatus } from '../../src/store/schema.js';
import type { Queryable } from '../../src/store/store.js';

export interface SeededWindow {
  startsAt: Date;
  endsAt: Date;
}

export async function seedClassroom(db: Queryable, options: { reservedGpu: number; leadMinutes?: number; windows: SeededWindow[] }): Promise<string> {
  const [room] = await db
    .insert(classrooms)
    .values({ name: `class-${randomUUID().slice(0, 8)}`, timeZone: 'Europe/Berlin', reservedGpu: options.reservedGpu, leadMinutes: options.leadMinutes ?? 10 })
    .returning({ id: classrooms.id });
  const id = room?.id ?? '';
  if (options.windows.length > 0) await db.insert(classroomWindows).values(options.windows.map((window) => ({ classroomId: id, ...window })));
  return id;
}

/** A job of a user and course of its own, launched through the classroom (or none). */
export async function seedJob(db: Queryable, classroomId: string | null, gpu: number, status: JobStatus = 'Ready'): Promise<string> {
  const [user] = await db.insert(users).values({ name: `u-${randomUUID().slice(0, 8)}`, passwordHash: 'x' }).returning({ id: users.id });
  const [course] = await db.insert(courses).values({ name: 'c', image: 'i', gpu, level: 'basic' }).returning({ id: courses.id });
  const [job] = await db
    .insert(jobs)
    .values({ courseId: course?.id ?? '', userId: user?.id ?? '', gpu, status, classroomId })
    .returning({ id: jobs.id });
  return job?.id ?? '';
}

/** `09:00` on the test's day, in UTC. */
export function at(time: string, day = '2027-02-15'): Date {
  return new Date(`${day}T${time}Z`);
}
