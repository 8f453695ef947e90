import { ServiceError } from '../common/errors.js';
import { formatInZone } from '../common/time.js';
import type { HeldReservation } from './reservations.js';

/** What a launch asks to admit. */
export interface AdmittedJob {
  userId: string;
  courseId: string;
  gpu: number;
  classroomId: string | null;
}

/** What admission decides from, read under its lock. */
export interface AdmissionUsage {
  userActiveJobs: number;
  userActiveJobIds: string[];
  gpuInUse: number;
  /** Classrooms holding GPUs back from this user now (only read for a course that needs GPUs). */
  reservations: HeldReservation[];
}

const RETRY_AFTER_QUOTA_SECONDS = 30;
const RETRY_AFTER_CAPACITY_SECONDS = 60;

/** What one launch is checked against, besides the usage read under the admission lock. */
export interface AdmissionRequest {
  ownerName: string;
  /** The owner's job limit; undefined: none. */
  jobLimit: number | undefined;
  /** ReadWriteOnce homes: a user's home is mounted by one job at a time. */
  singleAttach: boolean;
  gpu: number;
  /** GPUs of the cluster's Ready nodes; only read for a course that needs GPUs. */
  gpuCapacity: number;
  now: Date;
}

/**
 * Refuses a launch the usage does not allow, in this order: the owner's job limit, a home another
 * job mounts, the cluster's free GPUs, then GPUs that classrooms hold for their members.
 */
export function refuseUnadmittable(request: AdmissionRequest, usage: AdmissionUsage): void {
  const { ownerName, jobLimit, gpu, gpuCapacity } = request;
  if (jobLimit !== undefined && usage.userActiveJobs >= jobLimit) {
    throw new ServiceError(
      'busy',
      `Job limit reached: ${ownerName} may run ${jobLimit} job(s) at a time and already runs ${usage.userActiveJobs}; delete one to launch another`,
      RETRY_AFTER_QUOTA_SECONDS,
    );
  }
  // After the quota, which says the same to a user allowed one job, with when to try again.
  const [mounting] = usage.userActiveJobIds;
  if (request.singleAttach && mounting !== undefined) {
    throw new ServiceError(
      'conflict',
      `home of ${ownerName} is already mounted by job ${mounting}; with ReadWriteOnce homes a user runs one job at a time; delete it first`,
      undefined,
      { job_id: mounting },
    );
  }
  if (gpu === 0) return;
  const free = gpuCapacity - usage.gpuInUse;
  if (gpu > free) {
    throw new ServiceError(
      'busy',
      `GPU capacity reached: the course needs ${gpu} GPU(s) and ${Math.max(free, 0)} of ${gpuCapacity} are free; try again when a job ends`,
      RETRY_AFTER_CAPACITY_SECONDS,
    );
  }
  const held = usage.reservations.reduce((total, reservation) => total + reservation.held, 0);
  if (gpu > free - held) throw reservedRefusal(usage.reservations, Math.min(held, free), free, request.now);
}

/** The 429 of GPUs held for classrooms: when the first of their windows ends, some come free. */
function reservedRefusal(reservations: readonly HeldReservation[], held: number, free: number, now: Date): ServiceError {
  const byEnd = [...reservations].sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime());
  const holders = byEnd.map((reservation) => `classroom ${reservation.classroomName} until ${formatInZone(reservation.endsAt, reservation.timeZone)}`).join(' and ');
  const firstEnd = byEnd[0]?.endsAt ?? now;
  const retryAfter = Math.max(1, Math.ceil((firstEnd.getTime() - now.getTime()) / 1000));
  return new ServiceError('busy', `GPU capacity reached: ${held} of the ${free} free GPU(s) are reserved for ${holders}`, retryAfter);
}
