/** The v1 API's shapes, as the app reads them (platform-api-v1.md and the web contract). */
export type Level = 'basic' | 'advance';
export const LEVELS: readonly Level[] = ['basic', 'advance'];

export interface Labelled {
  label: string;
  value: string;
}

export interface Course {
  id: string;
  createAt: string;
  name: string;
  introduction: string;
  image: string;
  gpu: number;
  level: Level;
  datasets: string[];
  user: string | null;
  /** Where this course's jobs mount the home folder; null: the image's or the platform's default. */
  homePath?: string | null;
}

export type JobStatus = 'Pending' | 'Ready' | 'Failed' | 'Deleted' | (string & {});

export interface Job {
  id: string;
  startAt: string;
  status: JobStatus;
  reason: string | null;
  course_id: string;
  name: string;
  image: string;
  gpu: number;
  service: Labelled[];
  cullAt?: string | null;
  idleCullAt?: string | null;
  /** The owner, in the admin's all-jobs view. */
  user?: string;
}

export interface JobTicket {
  job_id: string;
  ready: boolean;
  status: JobStatus;
  reason: string | null;
}

export interface User {
  name: string;
  roles: string[];
}

export interface ListedUser extends User {
  createAt: string;
}

export interface GpuCount {
  resource: string;
  total: number;
  /** null where the runtime cannot tell. */
  used: number | null;
  free: number | null;
}

export interface ClusterNode {
  name: string;
  ready: boolean;
  gpu: GpuCount;
}

/** What the course form edits: create's fields (update takes any subset). */
export interface CourseDraft {
  name: string;
  introduction: string;
  image: string;
  level: Level;
  gpu: number;
  datasets: string[];
  /** '' while unset: then it is not sent, and the default applies. */
  homePath: string;
}

/** Issue 16: a person's home folder, as `/v1/volume/home` and `/v1/volume/list` answer. */
export type HomeState = 'Absent' | 'Pending' | 'Bound' | 'Lost';

export interface Home {
  /** null before the first launch (the home is made then). */
  name: string | null;
  user: string;
  /** A Kubernetes quantity: `10Gi`. */
  capacity: string;
  mountPath: string;
  state: HomeState;
  reason: string | null;
  /** null where the runtime cannot tell. */
  usedBytes: number | null;
  createAt: string | null;
  /** Its user is gone. */
  orphaned: boolean;
}

export type UsageGroup = 'user' | 'course' | 'classroom';

export interface UsageTotals {
  jobs: number;
  gpuHours: number;
  wallHours: number;
}

export interface UsageRow extends UsageTotals {
  /** The user's, course's or classroom's id; null for jobs launched outside any classroom. */
  key: string | null;
  /** Its name as launched; null as key is. */
  name: string | null;
}

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageGroup;
  rows: UsageRow[];
  total: UsageTotals;
}

export type EndReason = 'deleted' | 'culled' | 'failed' | 'course_deleted' | 'lost';

export interface UsageJob {
  job_id: string;
  user: string;
  course_id: string;
  course: string;
  gpu: number;
  gpuResource: string;
  createAt: string;
  startedAt: string | null;
  endedAt: string | null;
  endReason: EndReason | null;
  gpuHours: number;
  wallHours: number;
}
