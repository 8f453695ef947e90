import { COURSE_LEVELS, type CourseLevel } from '../store/schema.js';

/** What clients may send: the stored levels, plus `advanced`, a synonym of `advance`. */
export const LEVEL_NAMES = [...COURSE_LEVELS, 'advanced'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];

export function parseLevel(name: string): CourseLevel | undefined {
  if (name === 'advanced') return 'advance';
  return (COURSE_LEVELS as readonly string[]).includes(name) ? (name as CourseLevel) : undefined;
}
