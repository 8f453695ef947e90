import type { Principal } from '../identity/service.js';

/**
 * What the jobs service asks of classrooms, which sit beside it: the classroom code implements
 * this, and main wires it in, so that neither imports the other's service.
 */
export interface ClassroomRules {
  /**
   * Refuses (with a ServiceError) a launch of the course through the classroom that its rules do
   * not allow at `now`: an unknown classroom, a caller who is not a member, a course not assigned
   * to it, or no window open for a caller who is not one of its teachers nor an admin.
   */
  checkLaunch(actor: Principal, classroomId: string, courseId: string, now: Date): Promise<void>;
  /** The classroom's name when the user is one of its teachers or TAs; undefined otherwise. */
  staffedBy(classroomId: string, userId: string): Promise<string | undefined>;
}
