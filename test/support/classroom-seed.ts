import { expandWindows, type WindowInput } from '../../src/classrooms/calendar.js';
import { classroomCourses, classroomMembers, classrooms, classroomWindows, type ClassRole, type WindowEndAction } from '../../src/store/schema.js';
import type { Database } from '../../src/store/store.js';

export interface ClassroomSeed {
  name: string;
  timeZone?: string;
  reservedGpu?: number;
  windowEnd?: { action: WindowEndAction; graceMinutes: number };
  members?: Array<{ userId: string; role: ClassRole }>;
  courses?: string[];
  windows?: WindowInput[];
}

/**
 * A classroom written straight into the store, as the classroom routes would leave it (windows
 * expanded in its zone and merged): for suites of what is built on classrooms, not of their routes.
 */
export async function seedClassroom(db: Database, seed: ClassroomSeed): Promise<string> {
  const timeZone = seed.timeZone ?? 'Europe/Berlin';
  const windows = expandWindows(seed.windows ?? [], timeZone);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(classrooms)
      .values({
        name: seed.name,
        timeZone,
        reservedGpu: seed.reservedGpu ?? 0,
        windowEndAction: seed.windowEnd?.action ?? 'keep',
        graceMinutes: seed.windowEnd?.graceMinutes ?? 0,
      })
      .returning({ id: classrooms.id });
    if (!row) throw new Error('insert returned no classroom');
    const members = seed.members ?? [];
    if (members.length > 0) await tx.insert(classroomMembers).values(members.map((member) => ({ classroomId: row.id, ...member })));
    const courses = seed.courses ?? [];
    if (courses.length > 0) await tx.insert(classroomCourses).values(courses.map((courseId, position) => ({ classroomId: row.id, courseId, position })));
    if (windows.length > 0) await tx.insert(classroomWindows).values(windows.map((window) => ({ classroomId: row.id, ...window })));
    return row.id;
  });
}
