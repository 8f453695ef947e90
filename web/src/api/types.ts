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

/** What the course form sends: create's fields (update takes any subset). */
export interface CourseDraft {
  name: string;
  introduction: string;
  image: string;
  level: Level;
  gpu: number;
  datasets: string[];
}
