import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrivateParents } from '../../src/runtime/local/private-parents.js';

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('private parents of local jobs\' folders', () => {
  it('makes them private once, then only makes what is inside; remakes them when one was removed', async () => {
    root = await mkdtemp(join(tmpdir(), 'classlab-parents-'));
    const data = join(root, 'data');
    const jobs = join(data, 'jobs');
    await mkdir(data, { mode: 0o755 });
    await chmod(data, 0o755);
    const parents = new PrivateParents();

    await parents.within([data, jobs], () => mkdir(join(jobs, 'a')));
    expect(await modeOf(data)).toBe(0o700);
    expect(await modeOf(jobs)).toBe(0o700);
    // Checked once per life: a later launch does not look again.
    await chmod(data, 0o755);
    await parents.within([data, jobs], () => mkdir(join(jobs, 'b')));
    expect(await modeOf(data)).toBe(0o755);

    await rm(data, { recursive: true });
    await parents.within([data, jobs], () => mkdir(join(jobs, 'c')));
    expect(await modeOf(jobs)).toBe(0o700);
    expect((await stat(join(jobs, 'c'))).isDirectory()).toBe(true);
    await expect(parents.within([data, jobs], () => mkdir(join(jobs, 'c')))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
