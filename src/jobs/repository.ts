import { and, count, desc, eq, gte, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { rfc3339 } from '../common/time.js';
import type { ServiceUrl } from '../common/job-ports.js';
import { courseDatasets, courses, jobs, userRoles, users, type JobStatus } from '../store/schema.js';
import type { Database } from '../store/store.js';
import { Batcher } from '../common/batcher.js';
import type { AdmissionUsage, AdmittedJob } from './admission.js';
import { admitMany, setServicesMany, type AdmissionAsk, type AdmissionOutcome, type ServicesOfJob } from './launch-writes.js';
import { isActive, jobColumns } from './job-columns.js';
import { defaultEnding, writeTransitions, type Transition } from './transitions.js';
import { closeOrphanedUsageRecords, closeUsageRecords, markUsageSeen, removeUsageRecord, type UsageEnding } from './usage-records.js';

export interface JobRow {
  id: string;
  userId: string;
  userName: string;
  courseId: string;
  status: JobStatus;
  reason: string | null;
  gpu: number;
  services: ServiceUrl[];
  createdAt: Date;
  /** The classroom it was launched through; null for a launch outside one (or a classroom deleted since). */
  classroomId: string | null;
}

/** A job as the list route answers it: the job with its course. */
export interface JobListItem {
  id: string;
  startAt: string;
  status: JobStatus;
  reason: string | null;
  course_id: string;
  name: string;
  introduction: string;
  image: string;
  gpu: number;
  level: string;
  dataset: string[];
  datasets: string[];
  service: ServiceUrl[];
  /** The job's owner. */
  user: string;
  /** The classroom it was launched through, if any. */
  classroom_id: string | null;
}

/** A list item, with what deciding its cull times needs. */
export interface ListedJob {
  item: JobListItem;
  userId: string;
  createdAt: Date;
}

/** What the job list shows of a job's course: as it is now, not as it was at launch. */
export interface ListedCourse {
  id: string;
  name: string;
  introduction: string;
  image: string;
  level: string;
  datasets: string[];
}

/** A job and its course as the list route answers them. */
export function listedJob(job: Omit<JobRow, 'courseId'>, course: ListedCourse): ListedJob {
  return {
    item: {
      id: job.id,
      startAt: rfc3339(job.createdAt),
      status: job.status,
      reason: job.reason,
      course_id: course.id,
      name: course.name,
      introduction: course.introduction,
      image: course.image,
      gpu: job.gpu,
      level: course.level,
      dataset: course.datasets,
      datasets: course.datasets,
      service: job.services,
      user: job.userName,
      classroom_id: job.classroomId,
    },
    userId: job.userId,
    createdAt: job.createdAt,
  };
}

/**
 * The jobs table, and the usage record of each job, written in the same transaction as the row
 * change that opens, starts or ends it: every query the jobs service makes.
 */
export class JobRepository {
  constructor(
    private readonly db: Database,
    /** The GPU resource name jobs are launched with (CLASSLAB_GPU_RESOURCE), kept in each usage record. */
    private readonly gpuResource: string,
  ) {
    this.admissions = new Batcher((asks) => admitMany(this.db, asks, this.gpuResource));
    this.serviceWrites = new Batcher((changes) => setServicesMany(this.db, changes), { keyOf: (change) => change.id });
  }

  /** The launches that arrive together, admitted in one transaction. */
  private readonly admissions: Batcher<AdmissionAsk, AdmissionOutcome>;
  /** Their URLs, written in one statement. */
  private readonly serviceWrites: Batcher<ServicesOfJob, JobRow | undefined>;

  async find(id: string): Promise<JobRow | undefined> {
    const [row] = await this.db.select(jobColumns).from(jobs).innerJoin(users, eq(jobs.userId, users.id)).where(eq(jobs.id, id));
    return row;
  }

  listActive(): Promise<JobRow[]> {
    return this.db.select(jobColumns).from(jobs).innerJoin(users, eq(jobs.userId, users.id)).where(isActive);
  }

  /** Every job that is not deleted (active, or Failed and still listed): what the job view holds. */
  listNotDeletedRows(): Promise<JobRow[]> {
    return this.db.select(jobColumns).from(jobs).innerJoin(users, eq(jobs.userId, users.id)).where(ne(jobs.status, 'Deleted'));
  }

  /** Jobs that ended (Failed or Deleted) at or after `since`: a server may still be removing their objects. */
  async listEndedSince(since: Date): Promise<string[]> {
    const rows = await this.db.select({ id: jobs.id }).from(jobs).where(and(gte(jobs.endedAt, since), inArray(jobs.status, ['Failed', 'Deleted'])));
    return rows.map((row) => row.id);
  }

  /** A user's jobs that are not deleted, newest first, with their courses. */
  listForUser(userId: string): Promise<ListedJob[]> {
    return this.listNotDeleted(eq(jobs.userId, userId));
  }

  /** Everyone's jobs that are not deleted, newest first, with their courses and owners. */
  listAll(): Promise<ListedJob[]> {
    return this.listNotDeleted(undefined);
  }

  /** The active jobs launched through a classroom, newest first, with their courses and owners. */
  listForClassroom(classroomId: string): Promise<ListedJob[]> {
    return this.listNotDeleted(and(eq(jobs.classroomId, classroomId), isActive));
  }

  private async listNotDeleted(condition: SQL | undefined): Promise<ListedJob[]> {
    const datasets = sql<string[]>`coalesce((select array_agg(${courseDatasets.dataset} order by ${courseDatasets.position}) from ${courseDatasets} where ${courseDatasets.courseId} = ${courses.id}), '{}')`;
    const rows = await this.db
      .select({
        id: jobs.id,
        createdAt: jobs.createdAt,
        status: jobs.status,
        reason: jobs.reason,
        courseId: courses.id,
        name: courses.name,
        introduction: courses.introduction,
        image: courses.image,
        gpu: jobs.gpu,
        level: courses.level,
        datasets,
        services: jobs.services,
        userId: jobs.userId,
        user: users.name,
        classroomId: jobs.classroomId,
      })
      .from(jobs)
      .innerJoin(courses, eq(jobs.courseId, courses.id))
      .innerJoin(users, eq(jobs.userId, users.id))
      .where(and(condition, ne(jobs.status, 'Deleted')))
      .orderBy(desc(jobs.createdAt), desc(jobs.id));
    return rows.map((row) =>
      listedJob(
        { ...row, userName: row.user },
        { id: row.courseId, name: row.name, introduction: row.introduction, image: row.image, level: row.level, datasets: row.datasets },
      ),
    );
  }

  /**
   * Admission, insert and usage record in one transaction, serialised across servers by an
   * advisory lock; the launches that arrive together are admitted in one (`admitMany`). `now`
   * decides which windows are open. Throws what `check` threw for a refused launch.
   */
  async admit(job: AdmittedJob, now: Date, check: (usage: AdmissionUsage) => void): Promise<string> {
    const outcome = await this.admissions.call({ job, now, check });
    if ('refused' in outcome) throw outcome.refused;
    return outcome.jobId;
  }

  /** Answers the row as it is now (undefined: no such job); the launches that arrive together write in one statement. */
  setServices(id: string, services: ServiceUrl[]): Promise<JobRow | undefined> {
    return this.serviceWrites.call({ id, services });
  }

  /** A launch that failed never ran: its row and its usage record go. */
  async remove(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await removeUsageRecord(tx, id);
      await tx.delete(jobs).where(eq(jobs.id, id));
    });
  }

  /**
   * Moves an active job to a new state; final states are never left. Answers the row when it
   * changed, undefined when the job was already there or already final. Ready starts the usage
   * clock; Failed ends the record as `failed`, or as `ending` says (`lost`: its environment
   * vanished while no server watched). Many jobs at once: `writeTransitions`.
   */
  async transition(id: string, status: JobStatus, reason: string | null, ending: UsageEnding = defaultEnding(status)): Promise<JobRow | undefined> {
    return (await this.transitionMany([{ id, status, reason, ending }])).get(id);
  }

  /** Several jobs' transitions in one transaction (each job once): see `writeTransitions`. */
  transitionMany(changes: readonly Transition[]): Promise<Map<string, JobRow>> {
    return writeTransitions(this.db, changes);
  }

  /** A delete, by a person (`deleted`) or the culler (`culled`): also from Failed, so the job leaves the list. */
  async markDeleted(id: string, reason: string, ending: 'deleted' | 'culled'): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(jobs)
        .set({ status: 'Deleted', reason, updatedAt: sql`now()`, endedAt: sql`coalesce(${jobs.endedAt}, now())` })
        .where(and(eq(jobs.id, id), ne(jobs.status, 'Deleted')));
      await closeUsageRecords(tx, [id], ending);
    });
  }

  /** The jobs the runtime holds were seen alive now: what a record left open by a crash ends at. */
  markSeen(heldJobIds: readonly string[]): Promise<void> {
    return markUsageSeen(this.db, heldJobIds);
  }

  /** Open usage records whose jobs have no active row end as lost, when last seen. Answers their job ids. */
  closeOrphanedUsage(): Promise<string[]> {
    return closeOrphanedUsageRecords(this.db);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status);
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  /** Roles of the users who own active jobs, for per-role lifetimes. */
  async rolesOfUsers(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const roles = new Map<string, string[]>();
    if (userIds.length === 0) return roles;
    const rows = await this.db
      .select({ userId: userRoles.userId, role: userRoles.roleName })
      .from(userRoles)
      .where(inArray(userRoles.userId, [...userIds]));
    for (const { userId, role } of rows) roles.set(userId, [...(roles.get(userId) ?? []), role]);
    return roles;
  }
}
