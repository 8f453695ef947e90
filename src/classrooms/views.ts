/** A classroom as the API answers it: its settings, courses, windows and the caller's place in it. */

import { rfc3339 } from '../common/time.js';
import type { ClassRole, WindowEndAction } from '../store/schema.js';
import { nextWindowAfter, openWindowAt, windowView, type LaunchWindow } from './calendar.js';
import type { ClassroomRecord } from './directory.js';
import type { AssignedCourse, Member } from './repository.js';

export type WindowView = { starts_at: string; ends_at: string };

export interface ClassroomItem {
  id: string;
  name: string;
  description: string;
  public: boolean;
  timeZone: string;
  reservedGpu: number;
  leadMinutes: number;
  windowEnd: { action: WindowEndAction; graceMinutes: number };
  courses: AssignedCourse[];
  openWindow: WindowView | null;
  nextWindow: WindowView | null;
  role: ClassRole | null;
  memberCount: number;
  createAt: string;
}

export interface ClassroomView extends ClassroomItem {
  windows: WindowView[];
  members?: { user: string; role: ClassRole }[];
}

/** A list item: the classroom without its windows and members; "open" and "next" as of `now`. */
export function itemOf(
  record: ClassroomRecord,
  role: ClassRole | undefined,
  parts: { courses: AssignedCourse[]; upcoming: readonly LaunchWindow[]; memberCount: number; now: Date },
): ClassroomItem {
  const open = openWindowAt(parts.upcoming, parts.now);
  const next = nextWindowAfter(parts.upcoming, parts.now);
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    public: record.public,
    timeZone: record.timeZone,
    reservedGpu: record.reservedGpu,
    leadMinutes: record.leadMinutes,
    windowEnd: { action: record.windowEndAction, graceMinutes: record.graceMinutes },
    courses: parts.courses,
    openWindow: open ? windowView(open, record.timeZone) : null,
    nextWindow: next ? windowView(next, record.timeZone) : null,
    role: role ?? null,
    memberCount: parts.memberCount,
    createAt: rfc3339(record.createdAt),
  };
}

/** The whole classroom: every window, and its members when the caller may see them. */
export function classroomView(item: ClassroomItem, windows: readonly LaunchWindow[], zone: string, members: readonly Member[] | undefined): ClassroomView {
  return {
    ...item,
    windows: windows.map((window) => windowView(window, zone)),
    ...(members && { members: members.map((member) => ({ user: member.user, role: member.role })) }),
  };
}
