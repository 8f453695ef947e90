import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

/** Reads server-sent events off a live response until `done` says stop. */
async function readEvents(response: Response, done: (events: { event: string; data: Json }[]) => boolean) {
  const events: { event: string; data: Json }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!done(events)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel().catch(() => undefined);
  return events;
}

describe('job events stream', () => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let student: TestUser;
  let other: TestUser;
  let base: string;
  let courseId: string;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ runtime });
    const teacher = await platform.user('tina', ['teacher']);
    [student, other] = await Promise.all([platform.user('jimmy', ['student']), platform.user('sam', ['student'])]);
    courseId = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'c', image: 'jupyter/base-notebook', level: 'basic', gpu: 0 } })).body.id;
    base = await platform.api.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => platform?.close());

  const open = (user: TestUser, jobId: string) => fetch(`${base}/v1/job/events/${jobId}`, { headers: { authorization: `Bearer ${user.token}` } });

  it('streams the state, then progress and each change, and ends when the job is deleted', async () => {
    const jobId = (await platform.call('POST', '/v1/course/launch', { token: student.token, body: { course_id: courseId, user: 'jimmy' } })).body.job.job_id;
    const response = await open(student, jobId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reading = readEvents(response, () => false);

    await new Promise((resolve) => setTimeout(resolve, 100));
    runtime.emit({ kind: 'event', jobId, type: 'Warning', reason: 'FailedScheduling', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.', at: new Date() });
    runtime.report(jobId, { status: 'Pending', reason: 'ContainerCreating' });
    runtime.report(jobId, { status: 'Ready' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await platform.call('DELETE', `/v1/job/delete/${jobId}`, { token: student.token });

    const events = await reading;
    expect(events.map((e) => (e.event === 'state' ? e.data.status : e.data.reason))).toEqual(['Created', 'FailedScheduling', 'Pending', 'Ready', 'Deleted']);
    expect(events[3]?.data).toMatchObject({ type: 'state', job_id: jobId, ready: true, service: [{ label: 'jupyter' }] });
    expect(events[1]?.data).toMatchObject({ type: 'event', level: 'Warning', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' });
  });

  it("replays recent progress to a page that connects late, and refuses someone else's job", async () => {
    const jobId = (await platform.call('POST', '/v1/course/launch', { token: other.token, body: { course_id: courseId, user: 'sam' } })).body.job.job_id;
    runtime.emit({ kind: 'event', jobId, type: 'Normal', reason: 'Pulling', message: 'Pulling image "jupyter/base-notebook"', at: new Date() });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const refused = await open(student, jobId);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: true });
    const missing = await fetch(`${base}/v1/job/events/${jobId}`);
    expect(missing.status).toBe(401);

    const events = await readEvents(await open(other, jobId), (seen) => seen.length >= 2);
    expect(events.map((e) => e.event)).toEqual(['event', 'state']);
    expect(events[0]?.data.reason).toBe('Pulling');
  });

  const launchAs = async (user: TestUser) =>
    (await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name } })).body.job.job_id as string;

  it('ends the stream once its token is revoked: the next change is not delivered', async () => {
    const user = await platform.user('rhea');
    const jobId = await launchAs(user);
    const response = await open(user, jobId);
    const reading = readEvents(response, () => false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await platform.callIdentity('DELETE', '/token', { body: { token: user.token } })).body.status).toBe(20009);
    runtime.report(jobId, { status: 'Ready' });
    const events = await reading;
    expect(events.map((e) => e.event)).toEqual(['state', 'error']);
    expect(events[1]?.data).toEqual({ error: true, message: 'Invalid API token' });
  });

  it('ends the stream when its token expires, with no event to wait for', async () => {
    const user = await platform.user('eve');
    const jobId = await launchAs(user);
    const shortLived = await platform.services.identity.issueToken(user.id, 1);
    const events = await readEvents(await open({ ...user, token: shortLived.token }, jobId), () => false);
    expect(events.at(-1)).toEqual({ event: 'error', data: { error: true, message: 'Access token expired' } });
  });
});

describe('job events stream, its token long out of the cache', () => {
  it('tells each change without asking the store for the token again, and still ends at once when the token is revoked', async () => {
    const runtime = new ScriptedRuntime();
    // Every verification is stale a millisecond later: a check at each message would ask the store.
    const platform = await startTestPlatform({ runtime, settings: { tokenCacheMs: 1 } });
    try {
      const student = await platform.user('jimmy', ['student']);
      const teacher = await platform.user('tina', ['teacher']);
      const courseId = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'c', image: 'jupyter/base-notebook', level: 'basic', gpu: 0 } })).body.id;
      const jobId = (await platform.call('POST', '/v1/course/launch', { token: student.token, body: { course_id: courseId, user: 'jimmy' } })).body.job.job_id;
      const base = await platform.api.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${base}/v1/job/events/${jobId}`, { headers: { authorization: `Bearer ${student.token}` } });
      let seen: { event: string; data: Json }[] = [];
      const reading = readEvents(response, (events) => ((seen = events), false));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const lookups = vi.spyOn(platform.services.identity, 'tokenOwner');
      runtime.report(jobId, { status: 'Pending', reason: 'ContainerCreating' });
      runtime.report(jobId, { status: 'Ready' });
      await vi.waitFor(() => expect(seen.map((e) => e.data.status)).toContain('Ready'));
      expect(lookups).not.toHaveBeenCalled();
      expect((await platform.callIdentity('DELETE', '/token', { body: { token: student.token } })).body.status).toBe(20009);
      runtime.report(jobId, { status: 'Pending', reason: 'ContainerCreating' });
      const events = await reading;
      expect(events.map((e) => (e.event === 'state' ? e.data.status : e.event))).toEqual(['Created', 'Pending', 'Ready', 'error']);
    } finally {
      await platform.close();
    }
  });
});

describe('job events stream at shutdown', () => {
  it('ends open streams when the server closes, instead of holding the shutdown', async () => {
    const runtime = new ScriptedRuntime();
    const platform = await startTestPlatform({ runtime });
    const teacher = await platform.user('tina', ['teacher']);
    const courseId = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'c', image: 'jupyter/base-notebook', level: 'basic', gpu: 0 } })).body.id;
    const jobId = (await platform.call('POST', '/v1/course/launch', { token: teacher.token, body: { course_id: courseId, user: 'tina' } })).body.job.job_id;
    const base = await platform.api.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${base}/v1/job/events/${jobId}`, { headers: { authorization: `Bearer ${teacher.token}` } });
    const reading = readEvents(response, () => false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await platform.close();
    expect((await reading).map((e) => e.data.status)).toEqual(['Created']);
  });
});
