/**
 * The classroom service's store queries. Every write that touches more than one table (a
 * classroom with its members, courses and windows; a roster) runs in one transaction, so a
 * refused request leaves nothing half-written.
 */

import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm';
import { ServiceError } from '../common/errors.js';
import { ACTIVE_JOB_STATUSES, classroomCourses, classroomMembers, classrooms, classroomWindows, courses, jobs, users, type ClassRole, type CourseLevel, type JobStatus } from '../store/schema.js';
import type { Database, Transaction } from '../store/store.js';
import type { LaunchWindow } from './calendar.js';
import { classroomRecordColumns, findClassroom, roleIn, type ClassroomRecord } from './directory.js';

/** The columns a teacher sets; create gives them all, update any of them. */
export type ClassroomFields = Omit<ClassroomRecord, 'id' | 'createdAt'>;

export interface AssignedCourse {
  id: string;
  name: string;
  gpu: number;
  level: CourseLevel;
}

export interface Member {
  userId: string;
  user: string;
  role: ClassRole;
}

/** A member to write. `keepRole`: an existing member keeps the role they have (a roster line without one). */
export interface MemberChange {
  userId: string;
  role: ClassRole;
  keepRole?: boolean;
}

/** A job launched through a classroom that still runs. */
export interface ClassroomJob {
  jobId: string;
  userId: string;
  user: string;
  status: JobStatus;
  since: Date;
}

export interface ListedClassroom {
  record: ClassroomRecord;
  /** The caller's role in it; undefined when they are not a member (a public one, or an admin's list). */
  role: ClassRole | undefined;
}

const ACTIVE = [...ACTIVE_JOB_STATUSES];


export class ClassroomRepository {
  constructor(private readonly db: Database) {}

  find(id: string): Promise<ClassroomRecord | undefined> {
    return findClassroom(this.db, id);
  }

  async create(fields: ClassroomFields, creatorId: string, courseIds: readonly string[], windows: readonly LaunchWindow[]): Promise<string> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(classrooms).values({ ...fields, createdBy: creatorId }).returning({ id: classrooms.id });
      if (!row) throw new Error('insert returned no classroom');
      await tx.insert(classroomMembers).values({ classroomId: row.id, userId: creatorId, role: 'teacher' });
      await replaceCourses(tx, row.id, courseIds);
      await replaceWindows(tx, row.id, windows);
      return row.id;
    });
  }

  /** Writes the fields given; `courseIds` and `windows`, when given, replace the whole set. False: no such classroom. */
  async update(id: string, fields: Partial<ClassroomFields>, courseIds: readonly string[] | undefined, windows: readonly LaunchWindow[] | undefined): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const updated = await tx
        .update(classrooms)
        .set({ ...fields, updatedAt: sql`now()` })
        .where(eq(classrooms.id, id))
        .returning({ id: classrooms.id });
      if (updated.length === 0) return false;
      if (courseIds) await replaceCourses(tx, id, courseIds);
      if (windows) await replaceWindows(tx, id, windows);
      return true;
    });
  }

  async remove(id: string): Promise<void> {
    await this.db.delete(classrooms).where(eq(classrooms.id, id));
  }

  roleOf(id: string, userId: string): Promise<ClassRole | undefined> {
    return roleIn(this.db, id, userId);
  }

  /** The ids among `ids` that are not courses. */
  async missingCourses(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await this.db.select({ id: courses.id }).from(courses).where(inArray(courses.id, [...ids]));
    const known = new Set(found.map((row) => row.id));
    return ids.filter((id) => !known.has(id));
  }

  /** Users by name, regardless of case: keyed by the lowercased name. */
  async usersNamed(names: readonly string[]): Promise<Map<string, { id: string; name: string }>> {
    if (names.length === 0) return new Map();
    const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
    const rows = await this.db.select({ id: users.id, name: users.name }).from(users).where(inArray(sql`lower(${users.name})`, lowered));
    return new Map(rows.map((row) => [row.name.toLowerCase(), row]));
  }

  /** The classrooms `userId` is a member of, and the public ones, by name. */
  async listVisibleTo(userId: string): Promise<ListedClassroom[]> {
    const rows = await this.db
      .select({ ...classroomRecordColumns, role: classroomMembers.role })
      .from(classrooms)
      .leftJoin(classroomMembers, and(eq(classroomMembers.classroomId, classrooms.id), eq(classroomMembers.userId, userId)))
      .where(sql`${classroomMembers.userId} is not null or ${classrooms.public}`)
      .orderBy(asc(classrooms.name), asc(classrooms.id));
    return rows.map(({ role, ...record }) => ({ record, role: role ?? undefined }));
  }

  /** Every classroom by name, with `userId`'s role in each. */
  async listAll(userId: string): Promise<ListedClassroom[]> {
    const rows = await this.db
      .select({ ...classroomRecordColumns, role: classroomMembers.role })
      .from(classrooms)
      .leftJoin(classroomMembers, and(eq(classroomMembers.classroomId, classrooms.id), eq(classroomMembers.userId, userId)))
      .orderBy(asc(classrooms.name), asc(classrooms.id));
    return rows.map(({ role, ...record }) => ({ record, role: role ?? undefined }));
  }

  /** Each classroom's assigned courses, in the teacher's order. */
  async coursesOf(ids: readonly string[]): Promise<Map<string, AssignedCourse[]>> {
    const byClassroom = new Map<string, AssignedCourse[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byClassroom;
    const rows = await this.db
      .select({ classroomId: classroomCourses.classroomId, id: courses.id, name: courses.name, gpu: courses.gpu, level: courses.level })
      .from(classroomCourses)
      .innerJoin(courses, eq(classroomCourses.courseId, courses.id))
      .where(inArray(classroomCourses.classroomId, [...ids]))
      .orderBy(asc(classroomCourses.position));
    for (const { classroomId, ...course } of rows) byClassroom.get(classroomId)?.push(course);
    return byClassroom;
  }

  /** Each classroom's windows that have not ended by `endingAfter`, in order: enough for "open now" and "next". */
  async windowsEndingAfter(ids: readonly string[], endingAfter: Date): Promise<Map<string, LaunchWindow[]>> {
    const byClassroom = new Map<string, LaunchWindow[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byClassroom;
    const rows = await this.db
      .select({ classroomId: classroomWindows.classroomId, startsAt: classroomWindows.startsAt, endsAt: classroomWindows.endsAt })
      .from(classroomWindows)
      .where(and(inArray(classroomWindows.classroomId, [...ids]), gt(classroomWindows.endsAt, endingAfter)))
      .orderBy(asc(classroomWindows.startsAt));
    for (const { classroomId, ...window } of rows) byClassroom.get(classroomId)?.push(window);
    return byClassroom;
  }

  async memberCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>(ids.map((id) => [id, 0]));
    if (ids.length === 0) return counts;
    const rows = await this.db
      .select({ classroomId: classroomMembers.classroomId, members: count() })
      .from(classroomMembers)
      .where(inArray(classroomMembers.classroomId, [...ids]))
      .groupBy(classroomMembers.classroomId);
    for (const row of rows) counts.set(row.classroomId, row.members);
    return counts;
  }

  /** The members by name. */
  members(id: string): Promise<Member[]> {
    return this.db
      .select({ userId: classroomMembers.userId, user: users.name, role: classroomMembers.role })
      .from(classroomMembers)
      .innerJoin(users, eq(classroomMembers.userId, users.id))
      .where(eq(classroomMembers.classroomId, id))
      .orderBy(asc(sql`lower(${users.name})`));
  }

  /**
   * Removes, then adds or re-roles, all in one transaction; `check` sees how many teachers are left
   * and may throw to undo it all. The classroom's row is locked first, so two changes at once
   * cannot each remove one of the last two teachers. Answers how many were not members before.
   */
  async changeMembers(id: string, add: readonly MemberChange[], removeIds: readonly string[], check: (teachers: number) => void): Promise<number> {
    return this.db.transaction(async (tx) => {
      const locked = await tx.select({ id: classrooms.id }).from(classrooms).where(eq(classrooms.id, id)).for('update');
      // Deleted since it was read: nothing to add members to.
      if (locked.length === 0) throw new ServiceError('not_found', `classroom ${id} not found`);
      if (removeIds.length > 0) {
        await tx.delete(classroomMembers).where(and(eq(classroomMembers.classroomId, id), inArray(classroomMembers.userId, [...removeIds])));
      }
      let added = 0;
      for (const batch of chunks(add, 1000)) {
        const before = await tx
          .select({ userId: classroomMembers.userId })
          .from(classroomMembers)
          .where(and(eq(classroomMembers.classroomId, id), inArray(classroomMembers.userId, batch.map((member) => member.userId))));
        added += batch.length - before.length;
        const rows = (members: readonly MemberChange[]) => members.map((member) => ({ classroomId: id, userId: member.userId, role: member.role }));
        const kept = batch.filter((member) => member.keepRole);
        const set = batch.filter((member) => !member.keepRole);
        if (kept.length > 0) await tx.insert(classroomMembers).values(rows(kept)).onConflictDoNothing();
        if (set.length > 0) {
          await tx
            .insert(classroomMembers)
            .values(rows(set))
            .onConflictDoUpdate({ target: [classroomMembers.classroomId, classroomMembers.userId], set: { role: sql`excluded.role` } });
        }
      }
      const [teachers] = await tx
        .select({ teachers: count() })
        .from(classroomMembers)
        .where(and(eq(classroomMembers.classroomId, id), eq(classroomMembers.role, 'teacher')));
      check(teachers?.teachers ?? 0);
      return added;
    });
  }

  /** Makes the user a student unless they are a member already. */
  async join(id: string, userId: string): Promise<void> {
    await this.db.insert(classroomMembers).values({ classroomId: id, userId, role: 'student' }).onConflictDoNothing();
  }

  /** The jobs launched through the classroom that are still active, oldest first. */
  activeJobs(id: string): Promise<ClassroomJob[]> {
    return this.db
      .select({ jobId: jobs.id, userId: jobs.userId, user: users.name, status: jobs.status, since: jobs.createdAt })
      .from(jobs)
      .innerJoin(users, eq(jobs.userId, users.id))
      .where(and(eq(jobs.classroomId, id), inArray(jobs.status, ACTIVE)))
      .orderBy(asc(jobs.createdAt), asc(jobs.id));
  }
}

async function replaceCourses(tx: Transaction, classroomId: string, courseIds: readonly string[]): Promise<void> {
  await tx.delete(classroomCourses).where(eq(classroomCourses.classroomId, classroomId));
  if (courseIds.length === 0) return;
  await tx.insert(classroomCourses).values(courseIds.map((courseId, position) => ({ classroomId, courseId, position })));
}

async function replaceWindows(tx: Transaction, classroomId: string, windows: readonly LaunchWindow[]): Promise<void> {
  await tx.delete(classroomWindows).where(eq(classroomWindows.classroomId, classroomId));
  if (windows.length === 0) return;
  await tx.insert(classroomWindows).values(windows.map((window) => ({ classroomId, startsAt: window.startsAt, endsAt: window.endsAt })));
}

/** Keeps each statement's parameters well under PostgreSQL's limit of 65535. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
