import type { Logger } from 'pino';
import { actingUserName, isAdmin } from '../auth/permissions.js';
import { ServiceError, SpecFailure } from '../common/errors.js';
import { refuseIfUnrunnable } from '../courses/feasibility.js';
import type { CourseByIdCache } from '../courses/by-id-cache.js';
import type { CourseView } from '../courses/service.js';
import { sameUserName } from '../common/account-rules.js';
import type { HomeService } from '../homes/service.js';
import type { IdentityService, Principal } from '../identity/service.js';
import { LaunchRefused, RuntimeBusy, RuntimeError, RuntimeUnavailable, type JobRuntime } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';
import type { JobEventHub, JobMessage } from './events.js';
import { announceDeleted, stateMessage } from './announce.js';
import { cullTimes, type CullTimes } from './cull-times.js';
import type { JobView } from './job-view.js';
import { allowanceFor, type JobPolicy } from './quotas.js';
import { refuseUnadmittable } from './admission.js';
import type { ClassroomRules } from './classroom-rules.js';
import { listedJob, type JobListItem, type JobRepository, type JobRow, type ListedJob } from './repository.js';

export interface JobTicket {
  job_id: string;
  ready: boolean;
  status: JobRow['status'];
  reason: string | null;
}

export type ListedJobWithCullTimes = JobListItem & CullTimes;

/** Launch, list, ready, delete and watch: the jobs a person sees. */
export class JobService {
  constructor(
    private readonly repository: JobRepository,
    /** Job state from memory: reads never wait on the database. */
    private readonly view: JobView,
    private readonly runtime: JobRuntime,
    private readonly courses: CourseByIdCache,
    private readonly homes: HomeService,
    private readonly identity: IdentityService,
    private readonly hub: JobEventHub,
    private readonly policy: JobPolicy,
    private readonly logger: Logger,
    private readonly classrooms: ClassroomRules,
    /** The clock classroom windows and reservations are read with. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** With `classroomId`, the classroom's rules decide first, and the job is stored as launched through it. */
  async launch(actor: Principal, courseId: string, requestedUser: string | undefined, classroomId?: string): Promise<JobTicket> {
    const owner = await this.resolveUser(actor, requestedUser);
    const course = await this.courses.find(courseId).catch((error: unknown) => {
      throw new SpecFailure(`Query course id ${courseId} fail: ${rootMessage(error)}`, { cause: error });
    });
    if (!course) throw new ServiceError('invalid', `Query course id ${courseId} fail: course not found`);
    const now = this.now();
    if (classroomId !== undefined) await this.classrooms.checkLaunch(actor, classroomId, course.id, now);
    await this.requireDatasets(course);
    await refuseIfUnrunnable(this.runtime, course, (error) => nodeListFailure(course.id, error));
    const gpuCapacity = course.gpu > 0 ? await this.gpuCapacity(course) : 0;

    const request = {
      ownerName: owner.name,
      jobLimit: allowanceFor(this.policy.limits, owner.roles),
      singleAttach: this.homes.singleAttach,
      gpu: course.gpu,
      gpuCapacity,
      now,
    };
    const admitted = { userId: owner.userId, courseId: course.id, gpu: course.gpu, classroomId: classroomId ?? null };
    const jobId = await this.repository.admit(admitted, now, (usage) => refuseUnadmittable(request, usage));

    try {
      const home = await this.homes.ensureFor(owner).catch((error: unknown) => {
        throw homeFailure(error, course.id, owner.name);
      });
      const { services } = await this.runtime.launch({
        jobId,
        userId: owner.userId,
        userName: owner.name,
        courseId: course.id,
        courseName: course.name,
        image: course.image,
        gpu: course.gpu,
        datasets: course.datasets,
        ports: course.ports,
        home: { name: home.name, mountPath: this.homes.mountPathFor(course), capacity: home.capacity },
      });
      await this.view.write(jobId, () => this.repository.setServices(jobId, services), (row) => row).catch(async (error: unknown) => {
        await this.runtime.stop(jobId).catch(() => undefined);
        throw new SpecFailure(`update Job Table for job {id = ${jobId}} fail: ${rootMessage(error)}`, { cause: error });
      });
    } catch (error) {
      // Nothing half-written: the runtime removed what it made, and the row goes too.
      await this.view
        .write(jobId, () => this.repository.remove(jobId), () => undefined)
        .catch((err: unknown) => this.logger.warn({ err, jobId }, 'could not remove the row of a failed launch; reconciling will fail it'));
      throw launchFailure(error, course.id, jobId);
    }
    this.logger.info({ jobId, user: owner.name, course: course.id }, 'job launched');
    // The row as setServices answered it: its state may already have moved on from Created.
    const row = this.view.peek(jobId) ?? (await this.view.find(jobId));
    return ticketOf(row ?? { id: jobId, status: 'Created', reason: null });
  }

  /** A user's jobs, each with when the culler will stop it. */
  async list(actor: Principal, requestedUser: string | undefined): Promise<ListedJobWithCullTimes[]> {
    const owner = await this.resolveUser(actor, requestedUser);
    const listed = await this.listForUser(owner.userId);
    return Promise.all(listed.map(({ item, createdAt }) => this.withCullTimes(item, createdAt, owner.roles)));
  }

  /** Every user's jobs that are not deleted, with their owners: the admin's overview. */
  async listAll(actor: Principal): Promise<ListedJobWithCullTimes[]> {
    if (!isAdmin(actor)) throw new ServiceError('forbidden', "Permission denied: only admins can list everyone's jobs");
    return this.withOwnersCullTimes(await this.repository.listAll());
  }

  /** Each job with its cull times, which depend on its owner's roles. */
  private async withOwnersCullTimes(listed: ListedJob[]): Promise<ListedJobWithCullTimes[]> {
    const roles = await this.repository.rolesOfUsers([...new Set(listed.map((job) => job.userId))]);
    return Promise.all(listed.map(({ item, createdAt, userId }) => this.withCullTimes(item, createdAt, roles.get(userId) ?? [])));
  }

  /** The active jobs launched through a classroom, with their owners; who may see them is the classroom service's to decide. */
  /**
   * The active jobs launched through a classroom, for its staff's live view: without their URLs,
   * which carry the token that opens each member's environment and home.
   */
  async listForClassroom(classroomId: string): Promise<ListedJobWithCullTimes[]> {
    const listed = await this.withOwnersCullTimes(await this.repository.listForClassroom(classroomId));
    return listed.map((job) => ({ ...job, service: [] }));
  }

  /** From memory, with each job's course from the course cache; from the database until the view has loaded. */
  private async listForUser(userId: string): Promise<ListedJob[]> {
    const rows = this.view.listForUser(userId);
    if (!rows) return this.repository.listForUser(userId);
    const listed = await Promise.all(
      rows.map(async (row) => {
        const course = await this.courses.find(row.courseId);
        // No course: it was deleted, and its jobs with it; the view forgets them on its reload.
        return course ? listedJob(row, course) : undefined;
      }),
    );
    return listed.filter((job) => job !== undefined);
  }

  private async withCullTimes(item: JobListItem, createdAt: Date, roles: readonly string[]): Promise<ListedJobWithCullTimes> {
    return { ...item, ...(await cullTimes(this.runtime, this.policy, { id: item.id, status: item.status, createdAt }, roles)) };
  }

  async ready(actor: Principal, jobId: string): Promise<JobTicket> {
    return ticketOf(await this.requireJob(actor, jobId));
  }

  /**
   * Marks the job Deleted, then stops its environment. Deleting a deleted job succeeds.
   *
   * The row comes first: other servers watching the cluster see the objects vanish, and must
   * find the job already Deleted, not call it "deleted outside classlab" and delete it again.
   * If the stop fails, the row stays Deleted and reconciling stops what is left.
   */
  async delete(actor: Principal, jobId: string, userInPath?: string): Promise<void> {
    const { job, staffOf } = await this.accessJob(actor, jobId, userInPath);
    if (job.status === 'Deleted') return;
    const reason =
      job.userId === actor.userId ? `deleted by ${actor.name}` : staffOf !== undefined ? `deleted by ${actor.name} (classroom ${staffOf})` : `deleted by ${actor.name} (admin)`;
    await announceDeleted(this.repository, this.view, this.hub, jobId, reason, 'deleted');
    await this.runtime.stop(jobId).catch((error: unknown) => {
      throw new SpecFailure(`delete job {id = ${jobId}} fail: ${rootMessage(error)}`, { cause: error });
    });
    this.logger.info({ jobId, by: actor.name }, 'job deleted');
  }

  /**
   * Stops a job for the platform rather than a person (its classroom was deleted, its window
   * ended): marked Deleted with `reason`, its usage record closed as culled, then stopped. A job
   * already deleted, or gone, is left alone.
   */
  async stopForPlatform(jobId: string, reason: string): Promise<void> {
    const job = await this.view.find(jobId);
    if (!job || job.status === 'Deleted') return;
    await announceDeleted(this.repository, this.view, this.hub, jobId, reason, 'culled');
    await this.runtime.stop(jobId).catch((error: unknown) => {
      throw new SpecFailure(`delete job {id = ${jobId}} fail: ${rootMessage(error)}`, { cause: error });
    });
    this.logger.info({ jobId, reason }, 'job stopped');
  }

  /**
   * The job's current state and recent progress, then every change, until the returned function
   * is called. Only the owner, an admin, or the class staff of the job's classroom may watch.
   */
  async watch(actor: Principal, jobId: string, listener: (message: JobMessage) => void): Promise<{ history: JobMessage[]; stop: () => void }> {
    const { job, staffOf } = await this.accessJob(actor, jobId);
    // Class staff follow a member's job, but not into it: its URLs carry the token that opens the
    // member's environment, and their home with it.
    const shown = staffOf === undefined ? (message: JobMessage) => message : withoutServiceUrls;
    const stop = this.hub.subscribe(jobId, (message) => listener(shown(message)));
    // Read again after subscribing, so that a change in between is not lost; and after the job's
    // work in progress, whose state may have been told to its streams before this one listened.
    await this.view.idle(jobId);
    const current = (await this.view.find(jobId)) ?? job;
    return { history: [...this.hub.recentEvents(jobId), stateMessage(current)].map(shown), stop };
  }

  countByStatus(): Promise<Record<string, number>> {
    return this.repository.countByStatus();
  }

  private async requireJob(actor: Principal, jobId: string): Promise<JobRow> {
    return (await this.accessJob(actor, jobId)).job;
  }

  /**
   * The job, if the actor may see and stop it: its owner, an admin, or a teacher or TA of the
   * classroom it was launched through (`staffOf` names that classroom). A path's user name must be
   * the caller's own unless they are an admin or the job's class staff, and must be the job's owner.
   */
  private async accessJob(actor: Principal, jobId: string, userInPath?: string): Promise<{ job: JobRow; staffOf?: string }> {
    let namesAnother: unknown;
    if (userInPath !== undefined) {
      try {
        actingUserName(actor, userInPath);
      } catch (error) {
        namesAnother = error;
      }
    }
    const job = await this.view.find(jobId);
    const staffOf = job?.classroomId && job.userId !== actor.userId && !isAdmin(actor) ? await this.classrooms.staffedBy(job.classroomId, actor.userId) : undefined;
    // As before classrooms: naming another user is refused first, unless the job is one of the caller's class.
    if (namesAnother !== undefined && staffOf === undefined) throw namesAnother;
    if (!job) throw new ServiceError('not_found', 'job id is not found');
    if (job.userId !== actor.userId && !isAdmin(actor) && staffOf === undefined) {
      throw new ServiceError('forbidden', "Permission denied: only the job's owner, an admin, or a teacher or TA of its classroom can see or delete this job");
    }
    if (userInPath !== undefined && !sameUserName(job.userName, userInPath)) throw new ServiceError('not_found', 'job id is not found');
    return staffOf === undefined ? { job } : { job, staffOf };
  }

  /** The token says who; an admin may name someone else, who must exist. */
  private async resolveUser(actor: Principal, requested: string | undefined): Promise<Principal> {
    if (requested === '') throw new ServiceError('invalid', 'Empty user name');
    const name = actingUserName(actor, requested);
    if (sameUserName(name, actor.name)) return actor;
    const user = await this.identity.findUser({ name });
    if (!user) throw new ServiceError('invalid', `user ${name} not found`);
    return { userId: user.id, name: user.name, roles: user.roles };
  }

  private async requireDatasets(course: CourseView): Promise<void> {
    if (course.datasets.length === 0) return;
    const available = await this.runtime.datasets().catch((error: unknown) => {
      throw new SpecFailure(`Query course id ${course.id} required dataset fail: ${rootMessage(error)}`, { cause: error });
    });
    const missing = course.datasets.filter((name) => !available.includes(name));
    if (missing.length > 0) {
      throw new ServiceError(
        'invalid',
        `Query course id ${course.id} required dataset fail: dataset ${missing.join(', ')} does not exist; available: ${available.join(', ') || 'none'}`,
      );
    }
  }

  /** GPUs of Ready nodes, for the 429 of a full cluster; a course larger than any node was refused before. */
  private async gpuCapacity(course: CourseView): Promise<number> {
    const nodes = await this.runtime.nodes().catch((error: unknown) => {
      throw nodeListFailure(course.id, error);
    });
    return nodes.filter((node) => node.ready).reduce((total, node) => total + node.gpuAllocatable, 0);
  }
}

function nodeListFailure(courseId: string, error: unknown): SpecFailure {
  return new SpecFailure(`create deployment for course {id = ${courseId}} fail: List Node fail: ${rootMessage(error)}`, { cause: error });
}

function withoutServiceUrls(message: JobMessage): JobMessage {
  return message.type === 'state' ? { ...message, service: [] } : message;
}

function ticketOf(job: Pick<JobRow, 'id' | 'status' | 'reason'>): JobTicket {
  return { job_id: job.id, ready: job.status === 'Ready', status: job.status, reason: job.reason };
}

/** A home the runtime could not make: a fault of the machine is the spec's 500, with what failed. */
function homeFailure(error: unknown, courseId: string, userName: string): unknown {
  if (error instanceof RuntimeError) {
    return new SpecFailure(`create deployment for course {id = ${courseId}} fail: cannot make the home of ${userName}: ${error.message}`, { cause: error });
  }
  return error;
}

function launchFailure(error: unknown, courseId: string, jobId: string): Error {
  if (error instanceof SpecFailure || error instanceof ServiceError) return error;
  if (error instanceof LaunchRefused) return new ServiceError('invalid', error.message);
  if (error instanceof RuntimeBusy) return new ServiceError('busy', error.message, error.retryAfterSeconds);
  if (error instanceof RuntimeUnavailable) return new ServiceError('unavailable', error.message);
  if (error instanceof RuntimeError && error.stage === 'service') {
    return new SpecFailure(`create service for job {id = ${jobId}} fail: ${error.message}`, { cause: error });
  }
  return new SpecFailure(`create deployment for course {id = ${courseId}} fail: ${rootMessage(error)}`, { cause: error });
}
