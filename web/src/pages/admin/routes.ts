/** The admin's view of every running job (web-server's route; see its report). */
export const ALL_JOBS_PATH = '/v1/job/all';
export const ROLES = ['student', 'teacher', 'admin'] as const;
