import { ServiceError } from '../common/errors.js';
import type { CourseService, CourseView } from './service.js';

/** Courses kept at most, the oldest going first: ids asked for that name no course are kept too. */
const MAX_COURSES = 20_000;

/**
 * Courses by id, for what shows a course beside each job (the job list) and for launches: read
 * once per change instead of once per request. Forgotten on any course or account change, on this
 * server at once and on the others through the change feed, as the course lists are.
 */
export class CourseByIdCache {
  private readonly courses = new Map<string, Promise<CourseView | undefined>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly service: CourseService) {
    this.unsubscribe = service.onChange(() => this.courses.clear());
  }

  /** The course, or undefined when there is none with that id. */
  find(id: string): Promise<CourseView | undefined> {
    const cached = this.courses.get(id);
    if (cached) return cached;
    const loading = this.service.get(id).catch((error: unknown) => {
      if (error instanceof ServiceError && error.kind === 'not_found') return undefined;
      throw error;
    });
    if (this.courses.size >= MAX_COURSES) {
      const oldest = this.courses.keys().next().value;
      if (oldest !== undefined) this.courses.delete(oldest);
    }
    this.courses.set(id, loading);
    // A failed query is not remembered; a change meanwhile has already removed it.
    loading.catch(() => {
      if (this.courses.get(id) === loading) this.courses.delete(id);
    });
    return loading;
  }

  close(): void {
    this.unsubscribe();
    this.courses.clear();
  }
}
