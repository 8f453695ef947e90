import { isAdmin } from '../auth/permissions.js';
import { ServiceError } from '../common/errors.js';
import type { Principal } from '../identity/service.js';
import type { Queryable } from '../store/store.js';
import { nextWindowAfter, openWindowAt, windowView } from './calendar.js';
import { findClassroom, isCourseAssigned, roleIn, windowsOf } from './directory.js';

/**
 * A classroom's rules for launching through it, as the jobs service asks them (its
 * ClassroomRules, matched by shape so that neither module imports the other): who may launch
 * which course when, and who of the class may see and stop its members' jobs.
 */
export class ClassroomLaunchGate {
  constructor(private readonly db: Queryable) {}

  /**
   * In this order: the classroom exists (400), the caller is a member or an admin (403), the
   * course is assigned to it (400), and a window is open at `now` unless the caller is one of its
   * teachers or an admin (403, with the next window in the body).
   */
  async checkLaunch(actor: Principal, classroomId: string, courseId: string, now: Date): Promise<void> {
    const classroom = await findClassroom(this.db, classroomId);
    if (!classroom) throw new ServiceError('invalid', `classroom ${classroomId} not found`);
    const admin = isAdmin(actor);
    const role = await roleIn(this.db, classroom.id, actor.userId);
    if (role === undefined && !admin) throw new ServiceError('forbidden', `you are not a member of classroom ${classroom.name}`);
    if (!(await isCourseAssigned(this.db, classroom.id, courseId))) {
      throw new ServiceError('invalid', `course ${courseId} is not assigned to classroom ${classroom.name}`);
    }
    // Teachers prepare the lecture's environments before it starts, and admins look into trouble at any time.
    if (role === 'teacher' || admin) return;
    const windows = await windowsOf(this.db, classroom.id, now);
    if (openWindowAt(windows, now)) return;
    const next = nextWindowAfter(windows, now);
    if (!next) throw new ServiceError('forbidden', `classroom ${classroom.name} has no launch window left`, undefined, { nextWindow: null });
    const nextWindow = windowView(next, classroom.timeZone);
    throw new ServiceError('forbidden', `classroom ${classroom.name} allows launches only between ${nextWindow.starts_at} and ${nextWindow.ends_at}`, undefined, { nextWindow });
  }

  /** The classroom's name when the user is one of its teachers or TAs; undefined otherwise. */
  async staffedBy(classroomId: string, userId: string): Promise<string | undefined> {
    const role = await roleIn(this.db, classroomId, userId);
    if (role !== 'teacher' && role !== 'ta') return undefined;
    return (await findClassroom(this.db, classroomId))?.name;
  }
}
