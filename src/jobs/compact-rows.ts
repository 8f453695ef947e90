import type { ServiceUrl } from '../common/job-ports.js';
import type { JobRow } from './repository.js';

/** Shared by every held row without URLs; frozen, so that a change to one would fail loudly. */
const NO_SERVICES: ServiceUrl[] = Object.freeze([]) as unknown as ServiceUrl[];

/**
 * Makes the rows the job view holds small. Each row read from the database carries its own copy of
 * its owner's id and name, its course id and its state, and an array of its own even when it has no
 * URLs; with 10,000 jobs that is most of the view's memory. Held rows share one copy of each such
 * string (bounded by the users, courses and classrooms there are) and one empty array, and are built with a fixed shape, so that their fields sit inside the
 * object rather than in a separate property array.
 */
export class RowCompactor {
  private strings = new Map<string, string>();

  /** Forgets the shared strings, so that those of jobs gone since do not stay; a full load calls it. */
  reset(): void {
    this.strings = new Map();
  }

  /** How many distinct strings are shared now. */
  get sharedCount(): number {
    return this.strings.size;
  }

  compact(row: JobRow): JobRow {
    return {
      id: row.id,
      userId: this.shared(row.userId),
      userName: this.shared(row.userName),
      courseId: this.shared(row.courseId),
      status: this.shared(row.status),
      // Not shared: reasons carry the cluster's words, which vary without bound between full loads.
      reason: row.reason,
      gpu: row.gpu,
      services: row.services.length === 0 ? NO_SERVICES : row.services,
      createdAt: row.createdAt,
      classroomId: row.classroomId === null ? null : this.shared(row.classroomId),
    };
  }

  private shared<T extends string>(value: T): T {
    const kept = this.strings.get(value);
    if (kept !== undefined) return kept as T;
    this.strings.set(value, value);
    return value;
  }
}
