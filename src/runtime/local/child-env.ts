/**
 * The environment a local job starts with. It is built from an allow-list rather than by removing
 * known secrets from the server's own environment: the server holds DATABASE_URL, the admin
 * password and OAuth client secrets, and a job runs a student's code, which can print all of it.
 */

/** Variables a program needs to find its tools, its locale and its time zone, and nothing more. */
const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM'];

/** Set on every job: with the job id, it lets a later life of the server find what an earlier one left. */
export const RUNTIME_MARKER = 'CLASSLAB_LOCAL_RUNTIME';
export const JOB_ID_VARIABLE = 'CLASSLAB_JOB_ID';

export interface JobEnvironment {
  jobId: string;
  /** Absolute data folder of this runtime: the marker's value. */
  runtimeMarker: string;
  cudaVisibleDevices: string;
  datasetsFolder: string;
  /** The job's own home: Jupyter keeps its runtime files (tokens among them) under it. */
  home: string;
  /**
   * A folder of the job's own for Jupyter's runtime files (its server and kernel files), for a
   * job whose home is its user's: two jobs of one user share that home, and in their own PID
   * namespaces both servers may be pid 2, so both would write `jpserver-2.json` there.
   */
  runtimeDir?: string;
  /** The job's user name, for a sandboxed job; otherwise the server's passes through. */
  user?: string;
  /** The catalog entry's own variables, placeholders already filled. */
  extra: Record<string, string>;
}

export function jobEnvironment(job: JobEnvironment, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = job.home;
  if (job.user !== undefined) {
    env.USER = job.user;
    env.LOGNAME = job.user;
    // The server's temporary folder is not the job's: a sandboxed job has a /tmp of its own.
    env.TMPDIR = '/tmp';
  }
  if (job.runtimeDir !== undefined) env.JUPYTER_RUNTIME_DIR = job.runtimeDir;
  Object.assign(env, job.extra);
  // Ours come last so a catalog entry cannot hand a job every GPU or hide it from cleanup.
  env.CUDA_VISIBLE_DEVICES = job.cudaVisibleDevices;
  env.CLASSLAB_DATASETS = job.datasetsFolder;
  env[JOB_ID_VARIABLE] = job.jobId;
  env[RUNTIME_MARKER] = job.runtimeMarker;
  return env;
}
