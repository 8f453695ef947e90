import { and, sql } from 'drizzle-orm';
import { jobs, type JobStatus } from '../store/schema.js';
import type { Database, Queryable } from '../store/store.js';
import { isActive, returnedJobColumns } from './job-columns.js';
import type { JobRow } from './repository.js';
import { closeUsageRecords, startUsageClocks, type UsageEnding } from './usage-records.js';

/** One job moved to a state; `ending` says how a final state ends its usage record. */
export interface Transition {
  id: string;
  status: JobStatus;
  reason: string | null;
  ending: UsageEnding;
}

export function isFinal(status: JobStatus): boolean {
  return status === 'Failed' || status === 'Deleted';
}

/** How a final state ends the usage record unless the caller says otherwise. */
export function defaultEnding(status: JobStatus): UsageEnding {
  return status === 'Deleted' ? 'deleted' : 'failed';
}

/**
 * Moves active jobs to new states, each at most once per call, in one UPDATE, and their usage
 * records in one statement per kind of change, all in one transaction: a hundred jobs turning
 * Ready cost four statements, not four hundred. Final states are never left, and a job already in
 * its state (same reason) is not written. Answers the rows that changed, by job id.
 */
export async function writeTransitions(db: Database, changes: readonly Transition[]): Promise<Map<string, JobRow>> {
  if (new Set(changes.map((change) => change.id)).size !== changes.length) throw new Error('a job may change state once per write');
  if (changes.length === 0) return new Map();
  const write = async (tx: Queryable) => {
    const changed = await updateJobs(tx, changes);
    const ready: string[] = [];
    const ended = new Map<UsageEnding, string[]>();
    for (const change of changes) {
      const row = changed.get(change.id);
      if (row?.status === 'Ready') ready.push(change.id);
      if (row && isFinal(row.status)) ended.set(change.ending, [...(ended.get(change.ending) ?? []), change.id]);
    }
    await startUsageClocks(tx, ready);
    for (const [ending, ids] of ended) await closeUsageRecords(tx, ids, ending);
    return changed;
  };
  // Only a change that touches the usage record needs a transaction; Pending's reasons come often.
  const touchesUsage = changes.some((change) => change.status === 'Ready' || isFinal(change.status));
  return touchesUsage ? db.transaction(write) : write(db);
}

async function updateJobs(db: Queryable, changes: readonly Transition[]): Promise<Map<string, JobRow>> {
  const values = sql.join(
    changes.map((change) => sql`(${change.id}::uuid, ${change.status}::text, ${change.reason}::text)`),
    sql`, `,
  );
  const rows = await db
    .update(jobs)
    .set({
      status: sql`wanted.status`,
      reason: sql`wanted.reason`,
      updatedAt: sql`now()`,
      readyAt: sql`case when wanted.status = 'Ready' then coalesce(${jobs.readyAt}, now()) else ${jobs.readyAt} end`,
      endedAt: sql`case when wanted.status in ('Failed', 'Deleted') then now() else ${jobs.endedAt} end`,
    })
    .from(sql`(values ${values}) as wanted (id, status, reason)`)
    .where(and(sql`${jobs.id} = wanted.id`, isActive, sql`(${jobs.status} <> wanted.status or ${jobs.reason} is distinct from wanted.reason)`))
    .returning(returnedJobColumns);
  return new Map(rows.map((row) => [row.id, row]));
}
