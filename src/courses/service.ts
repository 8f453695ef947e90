import { asc, eq, sql, type SQL } from 'drizzle-orm';
import { actingUserName, canPublishCourses, isAdmin } from '../auth/permissions.js';
import { ServiceError } from '../common/errors.js';
import { rfc3339 } from '../common/time.js';
import { sameUserName } from '../common/account-rules.js';
import type { IdentityService, Principal } from '../identity/service.js';
import { activeJobsOfCourse } from '../store/active-jobs.js';
import { mountPath } from '../config/home-settings.js';
import { checkNewCourse } from './feasibility.js';
import type { PortSpec } from '../common/job-ports.js';
import type { JobRuntime } from '../runtime/types.js';
import { courseDatasets, courses, userNamed, users, type CourseLevel } from '../store/schema.js';
import type { Database, Queryable } from '../store/store.js';
import { LocalChangeFeed, type ChangeFeed } from '../store/change-feed.js';

export interface CourseInput {
  name: string;
  introduction: string;
  image: string;
  gpu: number;
  level: CourseLevel;
  datasets: string[];
  ports: PortSpec[];
  /** Where a job of the course sees its user's home; null: the image catalog's place, else the setting's. */
  homePath: string | null;
}

/** A course just published, with what its teacher should know (a dataset that does not exist yet). */
export type PublishedCourse = CourseView & { warnings: string[] };

export interface CourseView extends CourseInput {
  id: string;
  createAt: string;
  /** The owner's name; null once the owner's account is gone. */
  user: string | null;
}

/** 64 KiB of markdown, counted in bytes as stored, not in characters. */
export const INTRODUCTION_MAX_BYTES = 64 * 1024;

const datasetsOfCourse = sql<string[]>`coalesce((select array_agg(${courseDatasets.dataset} order by ${courseDatasets.position}) from ${courseDatasets} where ${courseDatasets.courseId} = ${courses.id}), '{}')`;

export class CourseService {
  constructor(
    private readonly db: Database,
    private readonly identity: IdentityService,
    /** Where courses launch; without one, courses are stored unchecked. */
    private readonly runtime?: JobRuntime,
    /** The store's change feed: course changes reach every server on the database. */
    private readonly feed: ChangeFeed = new LocalChangeFeed(),
  ) {
    // A deleted account leaves its courses without an owner's name. A change that names only
    // tokens (a renewal, a sign-out) leaves every course list as it was.
    identity.onChange((change) => {
      if (!('tokenHashes' in change)) this.changed();
    });
  }

  /**
   * Called after a course is created, changed or deleted, on this server (before the write
   * answers) or on another one, and when such news may have been missed: what caches lists must
   * forget them.
   */
  onChange(listener: () => void): () => void {
    return this.feed.subscribe('courses', listener, listener);
  }

  /** Delivered here at once, to the other servers soon after. */
  private changed(): void {
    void this.feed.publish('courses', 'changed');
  }

  /**
   * Teachers and admins publish courses. An admin may publish for a teacher by naming them in
   * `user`. A course the runtime could never launch is refused. The course and its dataset links
   * are written in one transaction.
   */
  async create(actor: Principal, given: CourseInput, requestedUser?: string): Promise<PublishedCourse> {
    const input = checkFields(given);
    const ownerName = actingUserName(actor, requestedUser);
    if (!canPublishCourses(actor)) {
      throw new ServiceError('forbidden', 'Permission denied: only teachers and admins can create courses');
    }
    const owner = sameUserName(ownerName, actor.name) ? { id: actor.userId } : await this.requirePublisher(ownerName);
    const warnings = this.runtime ? await checkNewCourse(this.runtime, input) : [];
    const id = await this.db.transaction(async (tx) => {
      const [course] = await tx
        .insert(courses)
        .values({
          ownerId: owner.id,
          name: input.name,
          introduction: input.introduction,
          image: input.image,
          gpu: input.gpu,
          level: input.level,
          ports: input.ports,
          homePath: input.homePath,
        })
        .returning({ id: courses.id });
      if (!course) throw new Error('insert returned no course');
      await linkDatasets(tx, course.id, input.datasets);
      return course.id;
    });
    this.changed();
    return { ...(await this.get(id)), warnings };
  }

  /** The courses a user owns: the caller's own, or, for an admin, anyone's. */
  listOwnedBy(actor: Principal, requestedUser?: string): Promise<CourseView[]> {
    return this.query(userNamed(actingUserName(actor, requestedUser)));
  }

  listByLevel(level: CourseLevel): Promise<CourseView[]> {
    return this.query(eq(courses.level, level));
  }

  async get(id: string): Promise<CourseView> {
    const [course] = await this.query(eq(courses.id, id));
    if (!course) throw new ServiceError('not_found', 'Course Id is not found');
    return course;
  }

  /**
   * The owner or an admin may delete a course, unless jobs of it still run. The course row is
   * locked first, so a launch that commits meanwhile is either counted here or fails on its
   * foreign key.
   */
  async delete(actor: Principal, id: string): Promise<{ id: string; name: string }> {
    const deleted = await this.db.transaction(async (tx) => {
      const course = await managedCourse(tx, actor, id, 'delete', true);
      const active = await activeJobsOfCourse(tx, id);
      if (active.length > 0) {
        throw new ServiceError(
          'conflict',
          `course ${course.name} still has ${active.length} running job(s); they must be deleted before the course`,
          undefined,
          { jobs: active.map(({ since, ...job }) => ({ ...job, since: since.toISOString() })) },
        );
      }
      await tx.delete(courses).where(eq(courses.id, id));
      return { id: course.id, name: course.name };
    });
    this.changed();
    return deleted;
  }

  /**
   * The owner or an admin changes any of create's fields, checked as create checks them. The
   * datasets, when given, replace the old ones in their new order. Row and links are written in
   * one transaction, under the row's lock. Running jobs keep what they were launched with: the
   * runtime copied the image, GPUs and datasets when it started them.
   */
  async update(actor: Principal, id: string, changes: Partial<CourseInput>): Promise<PublishedCourse> {
    const current = await this.get(id);
    await managedCourse(this.db, actor, id, 'change', false);
    const merged = checkFields({ ...current, ...definedFields(changes) });
    const runnable = changes.image !== undefined || changes.gpu !== undefined || changes.datasets !== undefined;
    const warnings = this.runtime && runnable ? await checkNewCourse(this.runtime, merged) : [];
    await this.db.transaction(async (tx) => {
      await managedCourse(tx, actor, id, 'change', true);
      const { datasets, ...row } = definedFields(changes);
      if (row.homePath !== undefined) row.homePath = merged.homePath; // as checked: without a trailing `/`
      if (Object.keys(row).length > 0) await tx.update(courses).set(row).where(eq(courses.id, id));
      if (datasets !== undefined) {
        await tx.delete(courseDatasets).where(eq(courseDatasets.courseId, id));
        await linkDatasets(tx, id, datasets);
      }
    });
    this.changed();
    return { ...(await this.get(id)), warnings };
  }

  private async requirePublisher(name: string): Promise<{ id: string }> {
    const user = await this.identity.findUser({ name });
    if (!user) throw new ServiceError('invalid', `user ${name} not found`);
    if (!canPublishCourses({ userId: user.id, name: user.name, roles: user.roles })) {
      throw new ServiceError('invalid', `user ${name} is neither a teacher nor an admin, so cannot own a course`);
    }
    return user;
  }

  private async query(condition: SQL | undefined): Promise<CourseView[]> {
    const rows = await this.db
      .select({
        id: courses.id,
        createdAt: courses.createdAt,
        name: courses.name,
        introduction: courses.introduction,
        image: courses.image,
        gpu: courses.gpu,
        level: courses.level,
        datasets: datasetsOfCourse,
        ports: courses.ports,
        homePath: courses.homePath,
        user: users.name,
      })
      .from(courses)
      .leftJoin(users, eq(courses.ownerId, users.id))
      .where(condition)
      .orderBy(asc(courses.createdAt), asc(courses.id));
    return rows.map(({ createdAt, ...course }) => ({ ...course, createAt: rfc3339(createdAt) }));
  }
}

/**
 * What create and update check beyond the schema: distinct port names, the introduction's size
 * in bytes, and the home's path. Answers the input with the path as stored (no trailing `/`).
 */
function checkFields(input: CourseInput): CourseInput {
  const portNames = input.ports.map((port) => port.name);
  if (new Set(portNames).size !== portNames.length) throw new ServiceError('invalid', 'ports must have distinct names');
  if (Buffer.byteLength(input.introduction, 'utf8') > INTRODUCTION_MAX_BYTES) {
    throw new ServiceError('invalid', `introduction must be at most ${INTRODUCTION_MAX_BYTES} bytes of UTF-8`);
  }
  return { ...input, homePath: input.homePath === null ? null : checkedHomePath(input.homePath) };
}

function checkedHomePath(path: string): string {
  try {
    return mountPath(path);
  } catch (error) {
    throw new ServiceError('invalid', `homePath ${(error as Error).message}`);
  }
}

/** Only the fields given: an absent one is left as it is, not set to undefined. */
function definedFields(changes: Partial<CourseInput>): Partial<CourseInput> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<CourseInput>;
}

async function linkDatasets(db: Queryable, courseId: string, datasets: readonly string[]): Promise<void> {
  if (datasets.length === 0) return;
  await db.insert(courseDatasets).values(datasets.map((dataset, position) => ({ courseId, dataset, position })));
}

/**
 * The course, if the actor may change or delete it: its owner or an admin. `lock` holds the row
 * until the transaction ends, so that a launch or another change waits.
 */
async function managedCourse(db: Queryable, actor: Principal, id: string, verb: 'change' | 'delete', lock: boolean) {
  const query = db.select({ id: courses.id, name: courses.name, ownerId: courses.ownerId }).from(courses).where(eq(courses.id, id));
  const [course] = lock ? await query.for('update') : await query;
  if (!course) throw new ServiceError('not_found', 'Course Id is not found');
  if (course.ownerId !== actor.userId && !isAdmin(actor)) {
    throw new ServiceError('forbidden', `Permission denied: only the course owner or an admin can ${verb} this course`);
  }
  return course;
}
