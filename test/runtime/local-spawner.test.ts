import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { processGroupOf } from '../../src/common/process-identity.js';
import { Spawner, SPAWNER_GONE, type ProcessCommand, type SpawnedProcess } from '../../src/runtime/local/spawner.js';
import { eventually, launchSpec, processAlive, startedPid, startTestRuntime, waitForState, type TestRuntime } from './support-local.js';

const silent = pino({ level: 'silent' });
let spawner: Spawner | undefined;
let current: TestRuntime | undefined;

afterEach(async () => {
  await spawner?.close();
  spawner = undefined;
  await current?.cleanup();
  current = undefined;
});

function nodeScript(script: string): ProcessCommand {
  return { command: process.execPath, args: ['-e', script], cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' } };
}

async function spawnOrFail(target: Spawner, command: ProcessCommand): Promise<SpawnedProcess> {
  const spawned = await target.spawn(command);
  if ('failure' in spawned) throw new Error(`spawn failed: ${spawned.failure.message}`);
  return spawned;
}

describe('spawner process', () => {
  it('spawns in the given folder and environment, and reports the exit code with the stderr tail', async () => {
    spawner = new Spawner(silent);
    const spawned = await spawnOrFail(spawner, {
      ...nodeScript("console.error('in ' + process.cwd() + ' with ' + process.env.GREETING); process.exit(3)"),
      env: { GREETING: 'hello' },
    });
    expect(spawned.pid).toBeGreaterThan(0);
    expect(spawned.pid).not.toBe(spawner.pid);
    const exit = await spawned.exited;
    expect(exit).toEqual({ code: 3, signal: null, stderr: `in ${tmpdir()} with hello\n` });
  });

  it('reports a process killed by a signal, and kills the rest of its process group with it', async () => {
    spawner = new Spawner(silent);
    // The leader starts a second process in its group, then waits.
    const spawned = await spawnOrFail(spawner, nodeScript("const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.error(String(c.pid)); setInterval(() => {}, 1000)"));
    await eventually(() => groupMembers(spawned.pid).length === 2, 10_000, 'the second process in the group');
    const [member] = groupMembers(spawned.pid).filter((pid) => pid !== spawned.pid);
    process.kill(spawned.pid, 'SIGTERM');
    const exit = await spawned.exited;
    expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
    await eventually(() => !processAlive(member as number), 5000, 'the group member to be killed');
  });

  it('answers why a missing program could not start', async () => {
    spawner = new Spawner(silent);
    const spawned = await spawner.spawn({ ...nodeScript(''), command: 'classlab-no-such-command-on-path' });
    expect(spawned).toEqual({ failure: { code: 'ENOENT', message: expect.stringContaining('ENOENT') } });
  });

  it('when killed, kills the processes it watched, says so, and a new spawner serves the next spawn', async () => {
    spawner = new Spawner(silent);
    const spawned = await spawnOrFail(spawner, nodeScript('setInterval(() => {}, 1000)'));
    const first = spawner.pid as number;
    process.kill(first, 'SIGKILL');
    const exit = await spawned.exited;
    expect(exit).toEqual({ lost: expect.stringContaining('spawner process was killed by signal SIGKILL') });
    await eventually(() => !processAlive(spawned.pid), 5000, 'the unwatched process to be killed');

    const next = await spawnOrFail(spawner, nodeScript('process.exit(0)'));
    expect(spawner.pid).not.toBe(first);
    await expect(next.exited).resolves.toMatchObject({ code: 0 });
  });

  it('keeps a process that has nothing else to do alive until the answer and the exit arrive, and lets it end after close', async () => {
    const program = `
      import { Spawner } from ${JSON.stringify(fileURLToPath(new URL('../../src/runtime/local/spawner.ts', import.meta.url)))};
      import pino from 'pino';
      const spawner = new Spawner(pino({ level: 'silent' }));
      const spawned = await spawner.spawn({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 300)'], cwd: '/tmp', env: {} });
      const exit = await spawned.exited;
      await spawner.close();
      console.log(JSON.stringify(exit));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ code: 0, signal: null, stderr: '' });
  });

  it('outlasts SIGINT and SIGTERM, which a Ctrl-C or a service stop sends the server as well', async () => {
    spawner = new Spawner(silent);
    const running = await spawnOrFail(spawner, nodeScript('setInterval(() => {}, 1000)'));
    const pid = spawner.pid as number;
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    const next = await spawnOrFail(spawner, nodeScript('process.exit(0)'));
    await expect(next.exited).resolves.toMatchObject({ code: 0 });
    expect(spawner.pid).toBe(pid);
    process.kill(running.pid, 'SIGKILL');
    await expect(running.exited).resolves.toMatchObject({ signal: 'SIGKILL' });
  });

  it('refuses to spawn once closed, and its process exits', async () => {
    spawner = new Spawner(silent);
    await spawnOrFail(spawner, nodeScript('process.exit(0)'));
    const pid = spawner.pid as number;
    await spawner.close();
    await eventually(() => !processAlive(pid), 5000, 'the spawner to exit');
    await expect(spawner.spawn(nodeScript('process.exit(0)'))).resolves.toEqual({ failure: { code: SPAWNER_GONE, message: 'the local runtime is closed' } });
  });
});

describe('local runtime: its spawner dies', () => {
  it('reports the running job Failed with the reason, and the next launch runs', async () => {
    const spawnerOfRuntime = new Spawner(silent);
    current = await startTestRuntime({ spawner: spawnerOfRuntime });
    const spec = launchSpec();
    await current.runtime.launch(spec);
    await waitForState(current.runtime, spec.jobId, 'Ready');
    const pid = startedPid(current.updates, spec.jobId);

    process.kill(spawnerOfRuntime.pid as number, 'SIGKILL');
    const failed = await waitForState(current.runtime, spec.jobId, 'Failed');
    expect(failed).toEqual({ status: 'Failed', reason: expect.stringContaining("the local runtime's spawner process was killed by signal SIGKILL") });
    await eventually(() => !processAlive(pid), 5000, 'the job process to be killed');

    const next = launchSpec();
    await current.runtime.launch(next);
    await waitForState(current.runtime, next.jobId, 'Ready');
  });
});

/** Live pids whose process group is `pgid` (Linux). */
function groupMembers(pgid: number): number[] {
  const pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  return pids.filter((pid) => processGroupOf(pid) === pgid && processAlive(pid));
}
