import { CourseService } from '../../src/courses/service.js';
import { IdentityService } from '../../src/identity/service.js';
import type { Database } from '../../src/store/store.js';

/**
 * A student (jimmy@nchc), a teacher (tina) and one course of tina's, made through the services:
 * what the store-level job suites start from.
 */
export async function seedCourse(db: Database, course: { name: string; gpu: number }): Promise<{ studentId: string; teacherId: string; courseId: string }> {
  const identity = new IdentityService(db, { tokenTtlSeconds: 3600 });
  const studentId = (await identity.createUser('jimmy@nchc', 'password-1', ['student'])).id;
  const teacherId = (await identity.createUser('tina', 'password-1', ['teacher'])).id;
  const created = await new CourseService(db, identity).create(
    { userId: teacherId, name: 'tina', roles: ['teacher'] },
    { ...course, introduction: '', image: 'jupyter/base-notebook', level: 'basic', datasets: [], ports: [], homePath: null },
  );
  return { studentId, teacherId, courseId: created.id };
}
