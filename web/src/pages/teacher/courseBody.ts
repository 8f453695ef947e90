import type { CourseDraft } from '../../api/types';

/** The body to send: an empty home path is left out, so that the default applies. */
export function courseBody({ homePath, ...rest }: CourseDraft): Omit<CourseDraft, 'homePath'> & { homePath?: string } {
  const path = homePath.trim();
  return path ? { ...rest, homePath: path } : rest;
}
