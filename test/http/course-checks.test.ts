import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { startTestRuntime, type TestRuntime } from '../runtime/support-local.js';

const digits = { name: 'image process', image: 'nvidia/digits:6.0', level: 'basic', GPU: 1, datasets: ['mnist', 'caltech256'] };

describe('publishing a course checks what the runtime can tell now', () => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let teacher: TestUser;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ runtime });
    teacher = await platform.user('tina', ['teacher']);
  });
  afterAll(() => platform?.close());
  afterEach(() => {
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 2, images: [] }];
    runtime.unrunnableImages = [];
    runtime.failNodes = false;
  });

  const create = (body: Record<string, unknown>) => platform.call('POST', '/v1/course/create', { token: teacher.token, body });

  it('accepts a dataset that does not exist yet, with a warning; a course with none has no warnings', async () => {
    const answer = await create(digits);
    expect(answer.status).toBe(200);
    expect(answer.body.warnings).toEqual(['dataset caltech256 does not exist yet, so launches fail until it does; datasets now: mnist, cifar-10']);
    expect((await create({ ...digits, datasets: ['mnist'] })).body.warnings).toEqual([]);
  });

  it('refuses more GPUs than the largest node has, with 400, and stores nothing', async () => {
    const before = (await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} })).body.courses.length;
    const answer = await create({ ...digits, GPU: 3 });
    expect(answer).toMatchObject({ status: 400, body: { error: true, message: 'course image process needs 3 GPU(s) and no node has more than 2' } });
    runtime.nodeList = [];
    expect((await create(digits)).body.message).toBe('course image process needs 1 GPU(s) and this cluster has none');
    expect((await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} })).body.courses).toHaveLength(before);
  });

  it('refuses an image the runtime cannot run, with 400 and its reason', async () => {
    runtime.unrunnableImages = ['nvidia/digits:6.0'];
    expect(await create(digits)).toMatchObject({ status: 400, body: { message: 'course image process uses image nvidia/digits:6.0, which this runtime cannot run' } });
  });

  it('publishes with a warning when the cluster cannot be asked', async () => {
    runtime.failNodes = true;
    const answer = await create(digits);
    expect(answer.status).toBe(200);
    expect(answer.body.warnings).toContain('could not check the image and GPUs with the kubernetes runtime: connect ECONNREFUSED 10.0.0.1:6443');
  });
});

describe('publishing on the local runtime', () => {
  let platform: TestPlatform;
  let local: TestRuntime;
  let teacher: TestUser;

  beforeAll(async () => {
    local = await startTestRuntime({ catalog: DEFAULT_CATALOG });
    platform = await startTestPlatform({ runtime: local.runtime });
    teacher = await platform.user('tina', ['teacher']);
  });
  afterAll(async () => {
    await platform?.close();
    await local?.cleanup();
  });
  afterEach(() => vi.unstubAllEnvs());

  const create = (body: Record<string, unknown>) => platform.call('POST', '/v1/course/create', { token: teacher.token, body });

  it('refuses DIGITS, which it has no command for, naming the images it can run', async () => {
    const answer = await create({ ...digits, GPU: 0 });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^course image process uses image nvidia\/digits:6.0, which the local runtime cannot run \(the catalog entry "digits" has no local command\); images it can run: classlab\/hello/);
  });

  it('refuses a GPU course on a machine that hands out none, saying CLASSLAB_LOCAL_GPUS does', async () => {
    const answer = await create({ name: 'hello lab', image: 'classlab/hello', level: 'basic', GPU: 1 });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('course hello lab needs 1 GPU(s) and the local runtime hands out none: it gives jobs the GPUs that CLASSLAB_LOCAL_GPUS lists');
  });

  it("publishes the README's first course", async () => {
    const answer = await create({ name: 'hello lab', introduction: '# Hello\nA first lab.', image: 'classlab/hello', level: 'basic', GPU: 0 });
    expect(answer).toMatchObject({ status: 200, body: { error: false, warnings: [] } });
  });

  it('lists the images it can run', async () => {
    vi.stubEnv('PATH', '');
    const answer = await platform.call('GET', '/v1/images/', { token: teacher.token });
    expect(answer.body).toEqual({ error: false, images: [{ label: 'classlab/hello', value: 'classlab/hello' }] });
  });
});
