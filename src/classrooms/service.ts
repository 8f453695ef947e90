/**
 * Classrooms as people use them: who may create, see, change and delete one, its members and
 * roster, and the jobs launched through it. Launch gating and reservations live with admission;
 * this service only writes what they read.
 */

import { canPublishCourses, isAdmin } from '../auth/permissions.js';
import { ServiceError } from '../common/errors.js';
import { rfc3339 } from '../common/time.js';
import type { Principal } from '../identity/service.js';
import type { NodeInfo } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';
import type { ClassRole, WindowEndAction } from '../store/schema.js';
import { expandWindows, requireTimeZone, type WindowInput } from './calendar.js';
import type { ClassroomRecord } from './directory.js';
import type { ClassroomFields, ClassroomRepository, MemberChange } from './repository.js';
import { parseRoster } from './roster.js';
import { classroomView, itemOf, type ClassroomItem, type ClassroomView } from './views.js';

export type { ClassroomItem, ClassroomView } from './views.js';

export interface ClassroomInput {
  name: string;
  description?: string;
  public?: boolean;
  timeZone: string;
  reservedGpu?: number;
  leadMinutes?: number;
  windowEnd?: { action: WindowEndAction; graceMinutes: number };
  courses?: string[];
  windows?: WindowInput[];
}

export type ClassroomChange = Partial<ClassroomInput>;

export interface MembersChange {
  add?: { user: string; role: ClassRole }[];
  remove?: string[];
}

/**
 * What the service needs of the jobs: a narrow view of JobService, which sits above classrooms
 * (its launches ask them), so the list items' type is a parameter.
 */
export interface ClassroomJobs<JobItem> {
  stopForPlatform(jobId: string, reason: string): Promise<void>;
  listForClassroom(classroomId: string): Promise<JobItem[]>;
}

export interface ClassroomServiceOptions<JobItem> {
  now: () => Date;
  /** The cluster's nodes, to refuse a reservation larger than its GPUs. */
  nodes: () => Promise<NodeInfo[]>;
  jobs: ClassroomJobs<JobItem>;
}

export class ClassroomService<JobItem = unknown> {
  constructor(
    private readonly repository: ClassroomRepository,
    private readonly options: ClassroomServiceOptions<JobItem>,
  ) {}

  async create(actor: Principal, input: ClassroomInput): Promise<ClassroomView> {
    if (!canPublishCourses(actor)) throw new ServiceError('forbidden', 'Permission denied: only teachers and admins can create classrooms');
    requireTimeZone(input.timeZone);
    const windows = expandWindows(input.windows ?? [], input.timeZone);
    const courseIds = input.courses ?? [];
    await this.requireCourses(courseIds);
    if (input.reservedGpu) await this.requireClusterGpus(input.reservedGpu);
    const id = await this.repository.create(
      {
        name: input.name,
        description: input.description ?? '',
        public: input.public ?? false,
        timeZone: input.timeZone,
        reservedGpu: input.reservedGpu ?? 0,
        leadMinutes: input.leadMinutes ?? 10,
        windowEndAction: input.windowEnd?.action ?? 'keep',
        graceMinutes: input.windowEnd?.graceMinutes ?? 0,
      },
      actor.userId,
      courseIds,
      windows,
    );
    return this.viewOf(actor, await this.requireClassroom(id));
  }

  /** The caller's classrooms and the public ones. */
  async list(actor: Principal): Promise<ClassroomItem[]> {
    return this.itemsOf(await this.repository.listVisibleTo(actor.userId));
  }

  async listAll(actor: Principal): Promise<ClassroomItem[]> {
    if (!isAdmin(actor)) throw new ServiceError('forbidden', 'Permission denied: only admins can list every classroom');
    return this.itemsOf(await this.repository.listAll(actor.userId));
  }

  /** Members, admins, and anyone when it is public. */
  async get(actor: Principal, id: string): Promise<ClassroomView> {
    const record = await this.requireClassroom(id);
    const role = await this.repository.roleOf(record.id, actor.userId);
    if (!role && !isAdmin(actor) && !record.public) throw new ServiceError('forbidden', `Permission denied: you are not a member of classroom ${record.name}`);
    return this.viewOf(actor, record, { role });
  }

  async update(actor: Principal, id: string, change: ClassroomChange): Promise<ClassroomView> {
    const record = await this.requireClassroom(id);
    await this.requireTeacher(actor, record, 'update');
    const zone = change.timeZone ?? record.timeZone;
    if (change.timeZone !== undefined) requireTimeZone(change.timeZone);
    const windows = change.windows ? expandWindows(change.windows, zone) : undefined;
    if (change.courses) await this.requireCourses(change.courses);
    if (change.reservedGpu) await this.requireClusterGpus(change.reservedGpu);
    const fields: Partial<ClassroomFields> = {
      ...(change.name !== undefined && { name: change.name }),
      ...(change.description !== undefined && { description: change.description }),
      ...(change.public !== undefined && { public: change.public }),
      ...(change.timeZone !== undefined && { timeZone: change.timeZone }),
      ...(change.reservedGpu !== undefined && { reservedGpu: change.reservedGpu }),
      ...(change.leadMinutes !== undefined && { leadMinutes: change.leadMinutes }),
      ...(change.windowEnd !== undefined && { windowEndAction: change.windowEnd.action, graceMinutes: change.windowEnd.graceMinutes }),
    };
    if (!(await this.repository.update(id, fields, change.courses, windows))) throw notFound(id);
    return this.viewOf(actor, await this.requireClassroom(id));
  }

  /**
   * Refused (409, with the jobs) while jobs launched through it run; `force` stops each, with
   * its reason, first. Answers the deleted classroom's name.
   */
  async delete(actor: Principal, id: string, force: boolean): Promise<string> {
    const record = await this.requireClassroom(id);
    await this.requireTeacher(actor, record, 'delete');
    const running = await this.repository.activeJobs(id);
    if (running.length > 0 && !force) {
      throw new ServiceError(
        'conflict',
        `classroom ${record.name} has ${running.length} running job(s); delete with ?force=true to stop them`,
        undefined,
        { jobs: running.map((job) => ({ user: job.user, status: job.status, since: rfc3339(job.since) })) },
      );
    }
    const reason = `classroom ${record.name} was deleted by ${actor.name}`;
    for (const job of running) await this.options.jobs.stopForPlatform(job.jobId, reason);
    await this.repository.remove(id);
    return record.name;
  }

  async changeMembers(actor: Principal, id: string, change: MembersChange): Promise<ClassroomView> {
    const record = await this.requireClassroom(id);
    await this.requireTeacher(actor, record, 'change the members of');
    const add = change.add ?? [];
    const remove = change.remove ?? [];
    const named = [...add.map((member) => member.user), ...remove];
    const repeated = firstRepeated(named);
    if (repeated) throw new ServiceError('invalid', `user ${repeated} is named more than once; name each user once, in add or in remove`);
    const found = await this.usersOrRefuse(named);
    const userId = (name: string) => found.get(name.toLowerCase())?.id ?? '';
    await this.writeMembers(record, add.map((member) => ({ userId: userId(member.user), role: member.role })), remove.map(userId));
    return this.viewOf(actor, record);
  }

  /** A roster, all or nothing. A line without a role adds a student and leaves a member's role as it is. */
  async importRoster(actor: Principal, id: string, text: string): Promise<{ added: number; lines: number; classroom: ClassroomView }> {
    const record = await this.requireClassroom(id);
    await this.requireTeacher(actor, record, 'change the members of');
    const lines = parseRoster(text);
    const found = await this.usersOrRefuse(lines.map((line) => line.user));
    const changes: MemberChange[] = lines.map((line) => ({
      userId: found.get(line.user.toLowerCase())?.id ?? '',
      role: line.role ?? 'student',
      keepRole: line.role === undefined,
    }));
    const added = await this.writeMembers(record, changes, []);
    return { added, lines: lines.length, classroom: await this.viewOf(actor, record) };
  }

  /** A public classroom: the caller becomes a student, unless they are a member already. */
  async join(actor: Principal, id: string): Promise<ClassroomView> {
    const record = await this.requireClassroom(id);
    if (!record.public) throw new ServiceError('forbidden', `Permission denied: classroom ${record.name} is not public; ask its teacher to add you`);
    await this.repository.join(id, actor.userId);
    return this.viewOf(actor, record);
  }

  /** The active jobs launched through the classroom: its teachers, TAs and admins. */
  async jobs(actor: Principal, id: string): Promise<JobItem[]> {
    const record = await this.requireClassroom(id);
    await this.requireStaff(actor, record, 'see the jobs of');
    return this.options.jobs.listForClassroom(id);
  }

  private async writeMembers(record: ClassroomRecord, add: readonly MemberChange[], removeIds: readonly string[]): Promise<number> {
    return this.repository.changeMembers(record.id, add, removeIds, (teachers) => {
      if (teachers === 0) throw new ServiceError('conflict', `classroom ${record.name} would have no teacher left; add another teacher first`);
    });
  }

  /** The users named, keyed by lowercased name; a 400 listing those that do not exist. */
  private async usersOrRefuse(names: readonly string[]): Promise<Map<string, { id: string; name: string }>> {
    const found = await this.repository.usersNamed(names);
    const unknown = names.filter((name) => !found.has(name.toLowerCase()));
    if (unknown.length > 0) throw new ServiceError('invalid', `unknown users: ${unknown.join(', ')}`, undefined, { unknown });
    return found;
  }

  private async requireCourses(ids: readonly string[]): Promise<void> {
    const missing = await this.repository.missingCourses(ids);
    if (missing.length > 0) throw new ServiceError('invalid', `unknown courses: ${missing.join(', ')}`, undefined, { unknown: missing });
  }

  /** The GPUs of the cluster's Ready nodes must hold the reservation. */
  private async requireClusterGpus(reserved: number): Promise<void> {
    const nodes = await this.options.nodes().catch((error: unknown) => {
      throw new ServiceError('unavailable', `cannot check reservedGpu against the cluster: listing its nodes failed: ${rootMessage(error)}`);
    });
    const total = nodes.filter((node) => node.ready).reduce((sum, node) => sum + node.gpuAllocatable, 0);
    if (reserved > total) throw new ServiceError('invalid', `reservedGpu ${reserved} is more than the cluster's ${total} GPU(s)`);
  }

  private async requireClassroom(id: string): Promise<ClassroomRecord> {
    const record = await this.repository.find(id);
    if (!record) throw notFound(id);
    return record;
  }

  private async requireTeacher(actor: Principal, record: ClassroomRecord, doing: string): Promise<void> {
    if (isAdmin(actor)) return;
    if ((await this.repository.roleOf(record.id, actor.userId)) === 'teacher') return;
    throw new ServiceError('forbidden', `Permission denied: only the teachers of classroom ${record.name} and admins can ${doing} it`);
  }

  private async requireStaff(actor: Principal, record: ClassroomRecord, doing: string): Promise<void> {
    if (isAdmin(actor)) return;
    const role = await this.repository.roleOf(record.id, actor.userId);
    if (role === 'teacher' || role === 'ta') return;
    throw new ServiceError('forbidden', `Permission denied: only the teachers and TAs of classroom ${record.name} and admins can ${doing} it`);
  }

  private async itemsOf(listed: readonly { record: ClassroomRecord; role: ClassRole | undefined }[]): Promise<ClassroomItem[]> {
    const ids = listed.map(({ record }) => record.id);
    const now = this.options.now();
    const [courses, windows, counts] = await Promise.all([this.repository.coursesOf(ids), this.repository.windowsEndingAfter(ids, now), this.repository.memberCounts(ids)]);
    return listed.map(({ record, role }) =>
      itemOf(record, role, { courses: courses.get(record.id) ?? [], upcoming: windows.get(record.id) ?? [], memberCount: counts.get(record.id) ?? 0, now }),
    );
  }

  private async viewOf(actor: Principal, record: ClassroomRecord, known?: { role: ClassRole | undefined }): Promise<ClassroomView> {
    const role = known ? known.role : await this.repository.roleOf(record.id, actor.userId);
    const now = this.options.now();
    const [courses, allWindows, members] = await Promise.all([this.repository.coursesOf([record.id]), this.repository.windowsEndingAfter([record.id], new Date(0)), this.repository.members(record.id)]);
    const windows = allWindows.get(record.id) ?? [];
    const item = itemOf(record, role, { courses: courses.get(record.id) ?? [], upcoming: windows, memberCount: members.length, now });
    const seesMembers = role === 'teacher' || role === 'ta' || isAdmin(actor);
    return classroomView(item, windows, record.timeZone, seesMembers ? members : undefined);
  }
}

function notFound(id: string): ServiceError {
  return new ServiceError('not_found', `classroom ${id} not found`);
}

/** The first name given twice, regardless of case. */
function firstRepeated(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) return name;
    seen.add(key);
  }
  return undefined;
}
