import { actingUserName } from '../auth/permissions.js';
import type { Principal } from '../identity/service.js';
import type { CourseLevel } from '../store/schema.js';
import type { CourseService, CourseView } from './service.js';

export interface Page {
  limit?: number;
  offset?: number;
}

interface SerializedList {
  /** Each course as JSON, in list order. */
  courses: string[];
  /** The whole answer, `{"error":false,"courses":[...]}`, shared by every request for it. */
  whole: Buffer;
}

/** Owners' lists kept at most; the oldest goes first. A list of 100 courses is about 45 KB. */
const MAX_OWNER_LISTS = 2000;

/** A course in the v1 shape, with only the fields that shape has (rows stored before may hold more). */
function courseJson(course: CourseView): string {
  const { id, createAt, name, introduction, image, gpu, level, datasets, ports, homePath, user } = course;
  return JSON.stringify({ id, createAt, name, introduction, image, gpu, level, datasets, ports: ports.map(({ name, port }) => ({ name, port })), homePath, user });
}

const listJson = (courses: readonly string[]) => `{"error":false,"courses":[${courses.join(',')}]}`;

function serialize(views: CourseView[]): SerializedList {
  const courses = views.map(courseJson);
  return { courses, whole: Buffer.from(listJson(courses)) };
}

/**
 * The course lists (by level, and by owner), serialized once per change instead of once per
 * request: callers asking for one list at once share one query and one copy of the answer.
 * Everything is forgotten on any course change, this server's (before its write answers) or
 * another's on the same database (through the change feed), so no list is ever served stale.
 */
export class CourseListCache {
  private readonly lists = new Map<string, Promise<SerializedList>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly courses: CourseService) {
    this.unsubscribe = courses.onChange(() => this.lists.clear());
  }

  /** The answer for a level as JSON: every course, or the page asked for. */
  async level(level: CourseLevel, page: Page = {}): Promise<Buffer> {
    const serialized = await this.cached(`level:${level}`, () => this.courses.listByLevel(level));
    if (page.limit === undefined && !page.offset) return serialized.whole;
    const start = page.offset ?? 0;
    const end = page.limit === undefined ? undefined : start + page.limit;
    return Buffer.from(listJson(serialized.courses.slice(start, end)));
  }

  /** The courses a user owns, as JSON: the caller's own, or, for an admin, anyone's. */
  async owned(actor: Principal, requestedUser?: string): Promise<Buffer> {
    const owner = actingUserName(actor, requestedUser);
    const serialized = await this.cached(`owner:${owner.toLowerCase()}`, () => this.courses.listOwnedBy(actor, requestedUser));
    return serialized.whole;
  }

  close(): void {
    this.unsubscribe();
    this.lists.clear();
  }

  private cached(key: string, load: () => Promise<CourseView[]>): Promise<SerializedList> {
    const cached = this.lists.get(key);
    if (cached) return cached;
    const serialized = load().then(serialize);
    if (this.lists.size >= MAX_OWNER_LISTS) {
      const oldest = this.lists.keys().next().value;
      if (oldest !== undefined) this.lists.delete(oldest);
    }
    this.lists.set(key, serialized);
    // A failed query is not remembered: the next request asks again. A change meanwhile has
    // already removed it (and maybe put a newer one in its place, which stays).
    serialized.catch(() => {
      if (this.lists.get(key) === serialized) this.lists.delete(key);
    });
    return serialized;
  }
}
