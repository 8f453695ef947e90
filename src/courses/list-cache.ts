import type { CourseLevel } from '../store/schema.js';
import type { CourseService, CourseView } from './service.js';

/**
 * How long a list is served without asking the database. This server forgets a list as soon as
 * one of its own courses changes; the bound is for changes made by other servers sharing it.
 */
const MAX_AGE_MS = 5000;

export interface Page {
  limit?: number;
  offset?: number;
}

interface SerializedLevel {
  /** Each course as JSON, in list order. */
  courses: string[];
  /** The whole answer, `{"error":false,"courses":[...]}`, shared by every request for it. */
  whole: Buffer;
}

/** A course in the v1 shape, with only the fields that shape has (rows stored before may hold more). */
function courseJson(course: CourseView): string {
  const { id, createAt, name, introduction, image, gpu, level, datasets, ports, user } = course;
  return JSON.stringify({ id, createAt, name, introduction, image, gpu, level, datasets, ports: ports.map(({ name, port }) => ({ name, port })), user });
}

const listJson = (courses: readonly string[]) => `{"error":false,"courses":[${courses.join(',')}]}`;

/**
 * The public course lists, serialized once per change instead of once per request: anonymous
 * callers asking for a level at once share one query and one copy of the answer.
 */
export class CourseListCache {
  private readonly levels = new Map<CourseLevel, { loadedAt: number; serialized: Promise<SerializedLevel> }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly courses: CourseService,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = courses.onChange(() => this.levels.clear());
  }

  /** The answer for a level as JSON: every course, or the page asked for. */
  async answer(level: CourseLevel, page: Page = {}): Promise<Buffer> {
    const serialized = await this.serialized(level);
    if (page.limit === undefined && !page.offset) return serialized.whole;
    const start = page.offset ?? 0;
    const end = page.limit === undefined ? undefined : start + page.limit;
    return Buffer.from(listJson(serialized.courses.slice(start, end)));
  }

  close(): void {
    this.unsubscribe();
    this.levels.clear();
  }

  private serialized(level: CourseLevel): Promise<SerializedLevel> {
    const cached = this.levels.get(level);
    if (cached && this.now() - cached.loadedAt < MAX_AGE_MS) return cached.serialized;
    const serialized = this.courses.listByLevel(level).then((views) => {
      const courses = views.map(courseJson);
      return { courses, whole: Buffer.from(listJson(courses)) };
    });
    const entry = { loadedAt: this.now(), serialized };
    this.levels.set(level, entry);
    // A failed query is not remembered: the next request asks again.
    serialized.catch(() => {
      if (this.levels.get(level) === entry) this.levels.delete(level);
    });
    return serialized;
  }
}
