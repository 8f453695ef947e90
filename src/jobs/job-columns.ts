import { inArray, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES, jobs, users } from '../store/schema.js';

/** A job's row as `JobRow` holds it; the owner's name comes from a join on `users`. */
export const jobColumns = {
  id: jobs.id,
  userId: jobs.userId,
  userName: users.name,
  courseId: jobs.courseId,
  status: jobs.status,
  reason: jobs.reason,
  gpu: jobs.gpu,
  services: jobs.services,
  createdAt: jobs.createdAt,
  classroomId: jobs.classroomId,
};

/** jobColumns for an UPDATE's RETURNING, the owner's name from a subquery: the row without reading it again. */
export const returnedJobColumns = {
  ...jobColumns,
  userName: sql<string>`(select ${users.name} from ${users} where ${users.id} = ${jobs.userId})`,
};

export const isActive = inArray(jobs.status, [...ACTIVE_JOB_STATUSES]);
