// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, mockFetch, signedIn } from './fetch-mock';
import { show } from './show-app';

const JOB = '22222222-2222-4222-8222-222222222222';
const COURSE = '33333333-3333-4333-8333-333333333333';

/** A text/event-stream whose frames the test sends one at a time. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    send: (event: string, data: object) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    end: () => controller.close(),
  };
}

const state = (status: string, extra: object = {}) => ({ type: 'state', job_id: JOB, status, ready: status === 'Ready', reason: null, service: [], at: '2026-11-30T00:00:00Z', ...extra });

describe('launch progress', () => {
  it("shows the cluster's reason at the step it waits on; a Failed job says why and launches again", async () => {
    const stream = eventStream();
    const calls = mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      [`GET /v1/job/events/${JOB}`]: () => stream.response(),
      'POST /v1/course/launch': () => json(200, { error: false, job: { job_id: 'next-job', ready: false, status: 'Pending', reason: null } }),
      'GET /v1/job/events/next-job': () => eventStream().response(),
    });
    show(`/jobs/${JOB}?course=${COURSE}`);
    stream.send('state', state('Pending'));
    stream.send('event', { type: 'event', job_id: JOB, level: 'Warning', reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', at: '2026-11-30T00:00:01Z' });
    const waiting = await screen.findByText('0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', { selector: '.step-reason' });
    expect(waiting.closest('li')?.getAttribute('aria-current')).toBe('step');
    expect(waiting.closest('li')?.textContent).toContain('Waiting for a GPU');
    expect((calls.find((call) => call.key.startsWith('GET /v1/job/events'))?.init.headers as Record<string, string>).Authorization).toBe('Bearer token-1');

    stream.send('state', state('Failed', { reason: 'the image could not be pulled' }));
    stream.end();
    const failed = await screen.findByText('the image could not be pulled', { exact: false });
    expect(failed.closest('[role=alert]')?.textContent).toContain('The job failed:');
    fireEvent.click(screen.getByRole('button', { name: 'Launch again' }));
    await waitFor(() => expect(window.location.pathname).toBe('/jobs/next-job'));
    expect(calls.find((call) => call.key === 'POST /v1/course/launch')?.init.body).toBe(JSON.stringify({ course_id: COURSE, user: 'sam' }));
  });

  it('a Ready job offers its links, each opening in a new tab', async () => {
    const stream = eventStream();
    mockFetch({ 'POST /oauth/session/refresh': () => signedIn(), [`GET /v1/job/events/${JOB}`]: () => stream.response() });
    show(`/jobs/${JOB}`);
    stream.send('state', state('Ready', { service: [{ label: 'jupyter', value: 'http://127.0.0.1:41000/?token=t' }] }));
    const link = await screen.findByRole('link', { name: 'Open jupyter' });
    expect(link.getAttribute('href')).toBe('http://127.0.0.1:41000/?token=t');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
  });
});
