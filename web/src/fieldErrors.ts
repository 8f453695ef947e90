import { ApiError } from './api/client';

export const COURSE_FIELDS = ['name', 'introduction', 'image', 'level', 'gpu', 'datasets', 'homePath'] as const;
export type CourseField = (typeof COURSE_FIELDS)[number];

/**
 * Puts an API refusal next to the field it concerns. Validation messages name the field as
 * `body/<field>` ("Failed to parse spec request request: body/name must …"); other refusals
 * that mention a field by name (an image this runtime cannot run) go there too.
 */
export function fieldOf(error: unknown): { field?: CourseField; message: string } | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const message = error.message;
  const path = /body\/(\w+)/.exec(message)?.[1]?.toLowerCase();
  const named = path === undefined ? undefined : COURSE_FIELDS.find((field) => field.toLowerCase() === path);
  if (named) return { field: named, message: message.replace(/^Failed to parse spec request request: /, '') };
  const mentioned = /\b(image|dataset)s?\b/i.exec(message)?.[1]?.toLowerCase();
  if (error.status === 400 && mentioned) return { field: mentioned === 'image' ? 'image' : 'datasets', message };
  return { message };
}
