import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';

describe('GET /v1/cluster/nodes', () => {
  const runtime = new ScriptedRuntime();
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ runtime, settings: { gpuResource: 'example.com/gpu' } });
    [teacher, student] = await Promise.all([platform.user('tina', ['teacher']), platform.user('sam')]);
  });
  afterAll(() => platform?.close());

  it('shows each node, Ready or not, with its GPUs: all, in use and free', async () => {
    runtime.nodeList = [
      { name: 'gpu-1', ready: true, gpuAllocatable: 4, gpuInUse: 1, images: [] },
      { name: 'gpu-2', ready: false, gpuAllocatable: 2, gpuInUse: 0, images: [] },
      { name: 'cpu-1', ready: true, gpuAllocatable: 0, images: [] },
    ];
    const answer = await platform.call('GET', '/v1/cluster/nodes', { token: platform.admin.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      error: false,
      nodes: [
        { name: 'gpu-1', ready: true, gpu: { resource: 'example.com/gpu', total: 4, used: 1, free: 3 } },
        { name: 'gpu-2', ready: false, gpu: { resource: 'example.com/gpu', total: 2, used: 0, free: 2 } },
        // A runtime that cannot tell what its jobs hold says so, rather than 0.
        { name: 'cpu-1', ready: true, gpu: { resource: 'example.com/gpu', total: 0, used: null, free: null } },
      ],
    });
  });

  it('is for admins only', async () => {
    for (const user of [teacher, student]) {
      expect(await platform.call('GET', '/v1/cluster/nodes', { token: user.token })).toMatchObject({
        status: 403,
        body: { error: true, message: 'Permission denied: only admins can see the nodes' },
      });
    }
    expect((await platform.call('GET', '/v1/cluster/nodes')).status).toBe(401);
  });

  it("answers 500 with the runtime's words when the nodes cannot be listed", async () => {
    runtime.failNodes = true;
    try {
      const answer = await platform.call('GET', '/v1/cluster/nodes', { token: platform.admin.token });
      expect(answer).toMatchObject({ status: 500, body: { error: true, message: 'List Node fail: connect ECONNREFUSED 10.0.0.1:6443' } });
    } finally {
      runtime.failNodes = false;
    }
  });
});
