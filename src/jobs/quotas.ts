import type { PerRole } from '../config/runtime-settings.js';

export interface JobPolicy {
  /** Concurrent jobs per role. */
  limits: PerRole<number>;
  /** Seconds a job may live, per role. */
  maxAgeSeconds: PerRole<number>;
  /** Seconds a job may sit idle, per role, where the runtime can tell. */
  idleTimeoutSeconds: PerRole<number>;
}

/**
 * What a user with these roles is allowed: the most generous of their roles that the table names
 * (undefined, "off", is the most generous of all). A user none of whose roles is named gets the
 * student's allowance, so a custom role never means "unlimited" by accident.
 */
export function allowanceFor(table: PerRole<number>, roles: readonly string[]): number | undefined {
  const named = roles.filter((role) => Object.hasOwn(table, role));
  if (named.length === 0) return Object.hasOwn(table, 'student') ? table.student : undefined;
  let best = 0;
  for (const role of named) {
    const value = table[role];
    if (value === undefined) return undefined;
    best = Math.max(best, value);
  }
  return best;
}

/** `3600` → `1h`, `5400` → `90m`: limits as people write them. */
export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
