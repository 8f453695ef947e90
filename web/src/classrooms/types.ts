/** Issue 17's classroom, as `/v1/classroom/*` answers it (the API contract in the issue's brief). */
import type { Level } from '../api/types';

export type ClassRole = 'teacher' | 'ta' | 'student';
export const CLASS_ROLES: readonly ClassRole[] = ['student', 'ta', 'teacher'];

export type WindowEndAction = 'keep' | 'stop';

/** A stored launch window: RFC 3339 with the classroom zone's offset. */
export interface WindowView {
  starts_at: string;
  ends_at: string;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** What update's `windows` takes besides dated ones: a weekly rule over a term, both dates included. */
export interface WeeklyRule {
  weekly: { days: Weekday[]; start: string; end: string; from: string; until: string };
}

export type WindowInput = WindowView | WeeklyRule;

export interface ClassMember {
  user: string;
  role: ClassRole;
}

export interface ClassCourse {
  id: string;
  name: string;
  gpu: number;
  level: Level;
}

export interface Classroom {
  id: string;
  name: string;
  description: string;
  public: boolean;
  timeZone: string;
  reservedGpu: number;
  leadMinutes: number;
  windowEnd: { action: WindowEndAction; graceMinutes: number };
  courses: ClassCourse[];
  /** Absent in list items. */
  windows?: WindowView[];
  openWindow: WindowView | null;
  nextWindow: WindowView | null;
  /** The caller's role in the class; null when not a member. */
  role: ClassRole | null;
  memberCount: number;
  /** Only for the class's teachers, TAs and admins. */
  members?: ClassMember[];
  createAt: string;
}

/** What the settings form edits: create's fields without courses and windows. */
export interface ClassroomDraft {
  name: string;
  description: string;
  public: boolean;
  timeZone: string;
  reservedGpu: number;
  leadMinutes: number;
  windowEnd: { action: WindowEndAction; graceMinutes: number };
}
