import { api } from './api/client';
import type { JobTicket } from './api/types';
import { sessionState } from './api/session';

/** Starts a job of the course for the signed-in person; the caller shows its progress. */
export async function launchCourse(courseId: string): Promise<JobTicket> {
  const state = sessionState();
  const user = state.status === 'signed-in' ? state.user.name : '';
  const answer = await api<{ job: JobTicket }>('POST', '/v1/course/launch', { body: { course_id: courseId, user } });
  return answer.job;
}

export const progressPath = (jobId: string, courseId: string) =>
  `/jobs/${encodeURIComponent(jobId)}?course=${encodeURIComponent(courseId)}`;
