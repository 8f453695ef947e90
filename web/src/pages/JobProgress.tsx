import { useEffect, useState } from 'react';
import { SessionEndedError } from '../api/client';
import { readJobEvents } from '../api/events';
import { refreshSession } from '../api/session';
import { Problem } from '../components/Problem';
import { ServiceLinks } from '../components/ServiceLinks';
import { useI18n } from '../i18n/i18n';
import { currentStep, isOver, STEPS, type ClusterEvent, type JobState } from '../progress';
import { TryAgain } from './TryAgain';

const RECONNECT_MS = 3000;

/** Follows the job's event stream, and reconnects when it drops before the job is over. */
function useJobStream(jobId: string) {
  const [state, setState] = useState<JobState>();
  const [events, setEvents] = useState<ClusterEvent[]>([]);
  const [problem, setProblem] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    let over = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setEvents([]);
      readJobEvents(
        jobId,
        ({ event, data }) => {
          const message = JSON.parse(data) as (JobState & ClusterEvent) | { message: string };
          if (event === 'state') {
            setState(message as JobState);
            over ||= isOver(message as JobState);
          } else if (event === 'event') setEvents((list) => [...list, message as ClusterEvent]);
          else if (event === 'error') setProblem(new Error((message as { message: string }).message));
        },
        controller.signal,
      ).then(
        async () => {
          // The server ends a stream when the job is over, or when the token no longer holds.
          if (over || controller.signal.aborted) return;
          if (await refreshSession()) timer = setTimeout(connect, RECONNECT_MS);
        },
        (error: unknown) => {
          if (controller.signal.aborted || error instanceof SessionEndedError) return;
          setProblem(error);
          timer = setTimeout(connect, RECONNECT_MS);
        },
      );
    };
    connect();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [jobId]);
  return { state, events, problem };
}

export function JobProgress({ jobId, courseId, classroomId = null }: { jobId: string; courseId: string | null; classroomId?: string | null }) {
  const { t } = useI18n();
  const { state, events, problem } = useJobStream(jobId);
  const step = currentStep(state, events);
  const failed = state?.status === 'Failed';
  const lastWarning = [...events].reverse().find((event) => event.level === 'Warning');
  return (
    <section aria-labelledby="progress-title">
      <h1 id="progress-title">{t('progress.title')}</h1>
      <ol className="steps">
        {STEPS.map((name, index) => {
          const status = index < step ? 'done' : index === step && !isOver(state) ? 'active' : 'todo';
          return (
            <li key={name} className={`step ${status}`} aria-current={status === 'active' ? 'step' : undefined}>
              <span className="step-name">{t(`step.${name}` as const)}</span>
              <span className="visually-hidden"> ({t(`stepStatus.${status}` as const)})</span>
              {status === 'active' && lastWarning && <span className="step-reason">{lastWarning.message}</span>}
            </li>
          );
        })}
      </ol>
      <p role="status" className="job-status">
        {t('progress.status')}: <strong>{state ? state.status : t('state.connecting')}</strong>
      </p>
      {failed && <TryAgain reason={state.reason} courseId={courseId} classroomId={classroomId} />}
      {state?.status === 'Deleted' && <p className="notice">{t('progress.deleted', { reason: state.reason ?? '' })}</p>}
      {state?.status === 'Ready' && <ServiceLinks services={state.service} />}
      <Problem error={problem} />
      {events.length > 0 && (
        <details open={!state?.ready}>
          <summary>{t('progress.events')}</summary>
          <ul className="events">
            {events.map((event, index) => (
              <li key={index} className={event.level === 'Warning' ? 'warning' : undefined}>
                <strong>{event.reason}</strong> {event.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
