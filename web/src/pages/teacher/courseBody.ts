import type { CourseDraft } from '../../api/types';

/**
 * The body to send: an empty home path is null, so that the default applies, and an edit that
 * empties the field clears the course's path instead of keeping it.
 */
export function courseBody({ homePath, ...rest }: CourseDraft): Omit<CourseDraft, 'homePath'> & { homePath: string | null } {
  return { ...rest, homePath: homePath.trim() || null };
}
