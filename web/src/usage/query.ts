import type { DayRange } from '../format';
import type { UsageGroup } from '../api/types';

export interface UsageFilter {
  groupBy?: UsageGroup;
  format?: 'json' | 'csv';
  /** A user name: one person's jobs. */
  user?: string;
  limit?: number;
}

/** `/v1/usage…?from&to&…` for a range of days and a filter; unset fields take the server's defaults. */
export function usagePath(path: '/v1/usage' | '/v1/usage/jobs', range: DayRange, filter: UsageFilter = {}): string {
  const query = new URLSearchParams({ from: range.from, to: range.to });
  for (const [name, value] of Object.entries(filter)) if (value !== undefined) query.set(name, String(value));
  return `${path}?${query}`;
}
