/**
 * The classroom reads that more than one part of classlab asks: the classroom service, launch
 * admission, the window-end sweep and placeholders. Plain queries on the store, so that none of
 * those imports another.
 */

import { and, asc, eq, gt } from 'drizzle-orm';
import { classroomCourses, classroomMembers, classrooms, classroomWindows, type ClassRole, type WindowEndAction } from '../store/schema.js';
import type { Queryable } from '../store/store.js';
import type { LaunchWindow } from './calendar.js';

export interface ClassroomRecord {
  id: string;
  name: string;
  description: string;
  public: boolean;
  timeZone: string;
  windowEndAction: WindowEndAction;
  graceMinutes: number;
  reservedGpu: number;
  leadMinutes: number;
  createdAt: Date;
}

/** The columns of a ClassroomRecord, for queries that select more beside them. */
export const classroomRecordColumns = {
  id: classrooms.id,
  name: classrooms.name,
  description: classrooms.description,
  public: classrooms.public,
  timeZone: classrooms.timeZone,
  windowEndAction: classrooms.windowEndAction,
  graceMinutes: classrooms.graceMinutes,
  reservedGpu: classrooms.reservedGpu,
  leadMinutes: classrooms.leadMinutes,
  createdAt: classrooms.createdAt,
};

export async function findClassroom(db: Queryable, id: string): Promise<ClassroomRecord | undefined> {
  const [row] = await db.select(classroomRecordColumns).from(classrooms).where(eq(classrooms.id, id));
  return row;
}

/** The classroom's windows in order; with `endingAfter`, only those that have not ended by then. */
export async function windowsOf(db: Queryable, classroomId: string, endingAfter?: Date): Promise<LaunchWindow[]> {
  const condition = endingAfter ? and(eq(classroomWindows.classroomId, classroomId), gt(classroomWindows.endsAt, endingAfter)) : eq(classroomWindows.classroomId, classroomId);
  return db
    .select({ startsAt: classroomWindows.startsAt, endsAt: classroomWindows.endsAt })
    .from(classroomWindows)
    .where(condition)
    .orderBy(asc(classroomWindows.startsAt));
}

/** The user's role in the class; undefined when they are not a member. */
export async function roleIn(db: Queryable, classroomId: string, userId: string): Promise<ClassRole | undefined> {
  const [row] = await db
    .select({ role: classroomMembers.role })
    .from(classroomMembers)
    .where(and(eq(classroomMembers.classroomId, classroomId), eq(classroomMembers.userId, userId)));
  return row?.role;
}

export async function isCourseAssigned(db: Queryable, classroomId: string, courseId: string): Promise<boolean> {
  const [row] = await db
    .select({ courseId: classroomCourses.courseId })
    .from(classroomCourses)
    .where(and(eq(classroomCourses.classroomId, classroomId), eq(classroomCourses.courseId, courseId)));
  return row !== undefined;
}
