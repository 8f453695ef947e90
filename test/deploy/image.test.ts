// The container image, built and run for real. Opt-in (CLASSLAB_TEST_IMAGE=1): it needs podman
// (or docker) and the base image (deploy/offline-base.sh makes one where no registry is reachable),
// and a build takes minutes. Where the host needs them, extra flags come from the environment:
//   CLASSLAB_TEST_IMAGE_TOOL="podman --runtime runc"
//   CLASSLAB_TEST_IMAGE_BUILD_FLAGS="--isolation chroot --network host"
//   CLASSLAB_TEST_IMAGE_RUN_FLAGS="--ulimit nofile=4096:4096 --ulimit nproc=4096:4096"
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, PROJECT_DIR } from '../e2e/cli-process.js';

const run = promisify(execFile);
const enabled = process.env['CLASSLAB_TEST_IMAGE'] === '1';
const words = (name: string): string[] => (process.env[name] ?? '').split(/\s+/).filter(Boolean);
const [tool = 'podman', ...toolFlags] = words('CLASSLAB_TEST_IMAGE_TOOL');
const TAG = 'localhost/classlab:image-test';
const NAME = `classlab-image-test-${process.pid}`;

const container = async (...args: string[]): Promise<string> =>
  (await run(tool, [...toolFlags, ...args], { cwd: PROJECT_DIR, timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

describe.skipIf(!enabled)('the container image (CLASSLAB_TEST_IMAGE=1)', () => {
  afterAll(async () => {
    await container('rm', '-f', NAME).catch(() => undefined);
  });

  it('builds, serves /livez as user 10001 under tini, and stops cleanly on SIGTERM', { timeout: 30 * 60_000 }, async () => {
    const started = Date.now();
    await container('build', '--format', 'docker', ...words('CLASSLAB_TEST_IMAGE_BUILD_FLAGS'), '-t', TAG, '-f', 'Containerfile', '.');
    console.info(`image built in ${Math.round((Date.now() - started) / 1000)} s`);
    const healthcheck = JSON.parse(await container('image', 'inspect', TAG, '--format', '{{json .Config.Healthcheck}}')) as { Test?: string[] };
    expect(healthcheck.Test?.join(' ')).toContain('/livez');

    const port = await freePort();
    await container(
      'run', '-d', '--name', NAME, ...words('CLASSLAB_TEST_IMAGE_RUN_FLAGS'),
      '-p', `127.0.0.1:${port}:8080`, '-e', 'CLASSLAB_ADMIN_PASSWORD=image-test-password', TAG,
    );
    let status = 0;
    for (let tries = 0; tries < 120 && status !== 200; tries += 1) {
      status = await fetch(`http://127.0.0.1:${port}/livez`).then((response) => response.status, () => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status, await container('logs', NAME)).toBe(200);
    expect(await container('exec', NAME, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline')).toMatch(/^\/usr\/bin\/tini -- node dist\/cli\/main\.js serve/);
    expect(await container('exec', NAME, 'id', '-u')).toBe('10001');

    await container('stop', '-t', '20', NAME);
    expect(await container('inspect', NAME, '--format', '{{.State.ExitCode}}')).toBe('0');
    const logs = await run(tool, [...toolFlags, 'logs', NAME]).then(({ stdout, stderr }) => stdout + stderr);
    expect(logs).toMatch(/"signal":"SIGTERM".*"msg":"stopping"/);
  });
});
