import { useState } from 'react';
import { api } from './api/client';
import type { JobTicket } from './api/types';
import { sessionState } from './api/session';
import { navigate } from './router';

/** Starts a job of the course for the signed-in person (through a classroom, when named); the caller shows its progress. */
export async function launchCourse(courseId: string, classroomId?: string): Promise<JobTicket> {
  const state = sessionState();
  const user = state.status === 'signed-in' ? state.user.name : '';
  const body = { course_id: courseId, user, ...(classroomId ? { classroom_id: classroomId } : {}) };
  const answer = await api<{ job: JobTicket }>('POST', '/v1/course/launch', { body });
  return answer.job;
}

/** The progress page; it keeps the classroom, so that "Launch again" goes through it too. */
export const progressPath = (jobId: string, courseId: string, classroomId?: string) =>
  `/jobs/${encodeURIComponent(jobId)}?course=${encodeURIComponent(courseId)}${classroomId ? `&classroom=${encodeURIComponent(classroomId)}` : ''}`;

/** A Launch button's work: start the job and open its progress page, or keep the refusal to show. */
export function useLaunch(courseId: string | null, classroomId?: string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const launch = async () => {
    if (!courseId) return;
    setBusy(true);
    setError(undefined);
    try {
      const job = await launchCourse(courseId, classroomId);
      navigate(progressPath(job.job_id, courseId, classroomId));
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return { busy, error, launch: () => void launch() };
}
