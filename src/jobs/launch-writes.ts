import { randomUUID } from 'node:crypto';
import { sql, sum } from 'drizzle-orm';
import type { ServiceUrl } from '../common/job-ports.js';
import { jobs } from '../store/schema.js';
import type { Database, Queryable } from '../store/store.js';
import { activeJobIdsOfUsers, lockJobAdmission } from '../store/active-jobs.js';
import type { AdmissionUsage, AdmittedJob } from './admission.js';
import { isActive, returnedJobColumns } from './job-columns.js';
import type { JobRow } from './repository.js';
import { heldReservations } from './reservations.js';
import { openUsageRecords, type AdmittedJobRecord } from './usage-records.js';

/** One launch asking to be admitted: `check` throws the refusal its usage calls for. */
export interface AdmissionAsk {
  job: AdmittedJob;
  /** Decides which classroom windows are open. */
  now: Date;
  check: (usage: AdmissionUsage) => void;
}

/** Admitted with a new job id, or refused with what `check` threw. */
export type AdmissionOutcome = { jobId: string } | { refused: unknown };

/**
 * Admits launches in their order, inserts the admitted jobs and opens their usage records, in one
 * transaction under the admission lock (serialised across servers), so that no two launches can
 * both take the last GPU, the last job of a quota, or GPUs a classroom holds for its members. Each
 * launch sees the ones admitted before it in the same batch. A hundred launches cost about eight
 * statements, not eight hundred.
 */
export async function admitMany(db: Database, asks: readonly AdmissionAsk[], gpuResource: string): Promise<AdmissionOutcome[]> {
  return db.transaction(async (tx) => {
    await lockJobAdmission(tx);
    const activeByUser = await activeJobIdsOfUsers(tx, [...new Set(asks.map((ask) => ask.job.userId))]);
    // GPUs in use and held only matter to a course that asks for some: sums over every active job.
    let gpuInUse = asks.some((ask) => ask.job.gpu > 0) ? await sumGpuInUse(tx) : 0;
    const admitted: AdmittedJobRecord[] = [];
    let inserted = 0;
    const outcomes: AdmissionOutcome[] = [];
    for (const { job, now, check } of asks) {
      const active = activeByUser.get(job.userId) ?? [];
      const needsGpu = job.gpu > 0;
      if (needsGpu) inserted = await insertJobs(tx, admitted, inserted); // the reservations read the jobs table
      try {
        check({
          userActiveJobs: active.length,
          userActiveJobIds: [...active],
          gpuInUse: needsGpu ? gpuInUse : 0,
          reservations: needsGpu ? await heldReservations(tx, job.userId, now) : [],
        });
      } catch (refusal) {
        outcomes.push({ refused: refusal });
        continue;
      }
      const id = randomUUID();
      admitted.push({ ...job, id });
      activeByUser.set(job.userId, [...active, id]);
      gpuInUse += job.gpu;
      outcomes.push({ jobId: id });
    }
    await insertJobs(tx, admitted, inserted);
    await openUsageRecords(tx, admitted, gpuResource);
    return outcomes;
  });
}

/**
 * Inserts the admitted jobs from `from` on, and answers how many are inserted now. Their creation
 * time is the transaction's, a microsecond apart row by row, so that launches admitted together
 * keep their order in the lists; the clock itself may not move between the rows of one insert.
 */
async function insertJobs(tx: Queryable, admitted: readonly AdmittedJobRecord[], from: number): Promise<number> {
  if (admitted.length === from) return from;
  const createdAt = (index: number) => sql`now() + ${index} * interval '1 microsecond'`;
  const rows = admitted.map((job, index) => ({ ...job, status: 'Created' as const, createdAt: createdAt(index) })).slice(from);
  await tx.insert(jobs).values(rows);
  return admitted.length;
}

async function sumGpuInUse(db: Queryable): Promise<number> {
  const [row] = await db.select({ total: sum(jobs.gpu) }).from(jobs).where(isActive);
  return Number(row?.total ?? 0);
}

/** One job's URLs, as its runtime answered them. */
export interface ServicesOfJob {
  id: string;
  services: ServiceUrl[];
}

/** Many jobs' URLs in one statement; answers each job's row as it is now (undefined: no such job). */
export async function setServicesMany(db: Database, changes: readonly ServicesOfJob[]): Promise<Array<JobRow | undefined>> {
  if (changes.length === 0) return [];
  const values = sql.join(
    changes.map((change) => sql`(${change.id}::uuid, ${JSON.stringify(change.services)}::jsonb)`),
    sql`, `,
  );
  const rows = await db
    .update(jobs)
    .set({ services: sql`wanted.services` })
    .from(sql`(values ${values}) as wanted (id, services)`)
    .where(sql`${jobs.id} = wanted.id`)
    .returning(returnedJobColumns);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return changes.map((change) => byId.get(change.id));
}
