// Seeds the database straight through the store, in bulk, before the server opens it (PGlite
// lets one process at a time in): the catalog, the accounts with a token each, and active jobs.
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../src/identity/passwords.js';
import { hashToken, newToken } from '../src/identity/tokens.js';
import { courseDatasets, courses, jobs, tokens, userRoles, users } from '../src/store/schema.js';
import { openStore, type Store } from '../src/store/store.js';
import type { Sizes } from './options.js';

export interface Account {
  id: string;
  name: string;
  token: string;
}

export interface Teacher extends Account {
  courses: number;
}

export interface Seeded {
  /** One per size of the T1 growth series. */
  teachers: Teacher[];
  students: Account[];
  /** A classlab/hello course with no GPU, for launches. */
  launchCourseId: string;
  /** Jobs active in the database (state Created), spread over the students. */
  activeJobs: number;
  /** Jobs of students[0], the one whose list T5 reads. */
  measuredStudentJobIds: string[];
}

const BATCH = 1_000;
const TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** About the 446 bytes a course takes in the 44.6 KB list of 100. */
const INTRODUCTION =
  '# Deep learning lab\n\nTrain a small convolutional network on **MNIST**, then on your own data. ' +
  'You will need the notebook from the first lecture, and about an hour.\n\n- load the data\n- train\n- evaluate';

export type StoreTarget = { dataDir: string } | { url: string };

export async function withStore<T>(target: StoreTarget, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore('url' in target ? { kind: 'postgres', url: target.url } : { kind: 'pglite', dataDir: target.dataDir });
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

async function insertInBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let at = 0; at < rows.length; at += BATCH) await insert(rows.slice(at, at + BATCH));
}

/**
 * Accounts (the measured teachers, one more who owns the rest of the catalog, students up to
 * `sizes.users`), a token for each, and `sizes.courses` courses of which `sizes.basicCourses` are
 * at level basic and belong to no measured teacher.
 */
export async function seedCatalog(store: Store, sizes: Sizes, options: { withCatalog: boolean }): Promise<Seeded> {
  const passwordHash = await hashPassword('bench-password');
  const expiresAt = new Date(Date.now() + TOKEN_TTL_MS);
  const account = (name: string): Account => ({ id: randomUUID(), name, token: newToken() });
  const teacherSizes = options.withCatalog ? sizes.teacherCourses : [];
  const teachers: Teacher[] = teacherSizes.map((count) => ({ ...account(`teacher-${count}`), courses: count }));
  const owner = account('catalog-owner');
  const studentCount = Math.max(1, sizes.users - teachers.length - 1);
  const students = Array.from({ length: studentCount }, (_, index) => account(`student-${String(index).padStart(4, '0')}`));
  const everyone = [...teachers, owner, ...students];
  const studentIds = new Set(students.map((student) => student.id));
  const { db } = store;
  await insertInBatches(everyone, (batch) => db.insert(users).values(batch.map(({ id, name }) => ({ id, name, passwordHash }))));
  await insertInBatches(everyone, (batch) =>
    db.insert(userRoles).values(batch.map(({ id }) => ({ userId: id, roleName: studentIds.has(id) ? 'student' : 'teacher' }))),
  );
  await insertInBatches(everyone, (batch) => db.insert(tokens).values(batch.map(({ id, token }) => ({ hash: hashToken(token), userId: id, expiresAt }))));

  const courseRows: (typeof courses.$inferInsert)[] = [];
  const addCourse = (ownerId: string, level: 'basic' | 'advance') =>
    courseRows.push({ id: randomUUID(), ownerId, name: `course ${courseRows.length}`, introduction: INTRODUCTION, image: 'classlab/hello', gpu: 0, level });
  addCourse(owner.id, 'basic'); // the launch course
  for (const teacher of teachers) for (let n = 0; n < teacher.courses; n += 1) addCourse(teacher.id, 'advance');
  const catalogSize = options.withCatalog ? sizes.courses : 1;
  for (let basic = 1; courseRows.length < catalogSize; basic += 1) addCourse(owner.id, basic < sizes.basicCourses ? 'basic' : 'advance');
  await insertInBatches(courseRows, (batch) => db.insert(courses).values(batch));
  const launchCourseId = courseRows[0]?.id as string;
  // Every listed course names a dataset, so lists carry them; the launch course needs none.
  const listed = courseRows.slice(1);
  await insertInBatches(listed, (batch) => db.insert(courseDatasets).values(batch.map(({ id }) => ({ courseId: id as string, dataset: 'mnist', position: 0 }))));
  return { teachers, students, launchCourseId, activeJobs: 0, measuredStudentJobIds: [] };
}

/** Adds active jobs until `total` exist: students[0] holds a few (its list is measured), the rest are spread. */
export async function seedActiveJobs(store: Store, seeded: Seeded, total: number): Promise<void> {
  const rows: (typeof jobs.$inferInsert)[] = [];
  const measured = seeded.students[0] as Account;
  for (let n = seeded.activeJobs; n < total; n += 1) {
    const toMeasured = seeded.measuredStudentJobIds.length < 3;
    const student = toMeasured ? measured : (seeded.students[1 + (n % Math.max(1, seeded.students.length - 1))] ?? measured);
    const id = randomUUID();
    if (toMeasured) seeded.measuredStudentJobIds.push(id);
    rows.push({ id, courseId: seeded.launchCourseId, userId: student.id, status: 'Created', gpu: 0 });
  }
  await insertInBatches(rows, (batch) => store.db.insert(jobs).values(batch));
  seeded.activeJobs = total;
}
