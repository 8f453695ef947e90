/** The local homes' pieces that run no job: the folders, their usage, handing them over, and the sandbox's mounts. */
import { link, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobEnvironment } from '../../src/runtime/local/child-env.js';
import { reownTree, treeUsage } from '../../src/runtime/local/home-tree.js';
import { LocalHomes } from '../../src/runtime/local/homes.js';
import { datasetsMountFor, homeMountProblem, sandboxArguments, type SandboxLayout } from '../../src/runtime/local/sandbox.js';
import type { HomeRef } from '../../src/runtime/types.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'classlab-home-parts-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ann: HomeRef = { name: 'home-u-ann', userId: 'u-ann', userName: 'ann', capacity: '10Gi' };

describe('LocalHomes', () => {
  it('makes a home the server\'s alone, idempotently, and says it is Bound with what it holds', async () => {
    const dataDir = join(root, 'data');
    const homes = new LocalHomes(dataDir);
    expect(await homes.status(ann)).toEqual({ state: 'Absent' });
    expect(await homes.ensure(ann)).toEqual({ state: 'Bound', capacity: '10Gi' });
    const folder = join(dataDir, 'homes', 'u-ann');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'homes'))).mode & 0o777).toBe(0o700);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    await writeFile(join(folder, 'notes.txt'), 'x'.repeat(1000));
    // A second ensure (every launch makes sure) keeps what is there.
    await homes.ensure(ann);
    expect(await readdir(folder)).toEqual(['notes.txt']);
    // A capacity is reported as asked: nothing here holds a folder to one.
    await homes.expand();
    expect(await new LocalHomes(dataDir).status({ ...ann, capacity: '20Gi' })).toEqual({ state: 'Bound', usedBytes: 1000, capacity: '20Gi' });
  });

  it('counts used bytes again only after a while, so a list of every home does not walk them all each time', async () => {
    let now = 0;
    const homes = new LocalHomes(join(root, 'data'), () => now);
    // Made at a launch, which counts nothing: the first look counts what is there by then.
    await homes.ensure(ann);
    await writeFile(join(homes.folderOf(ann.userId), 'a'), '12345');
    expect((await homes.status(ann)).usedBytes).toBe(5);
    await writeFile(join(homes.folderOf(ann.userId), 'b'), '12345');
    now = 9_000;
    expect((await homes.status(ann)).usedBytes).toBe(5);
    now = 11_000;
    expect((await homes.status(ann)).usedBytes).toBe(10);
  });

  it('removes a home and everything in it, but nothing a link in it names', async () => {
    const homes = new LocalHomes(join(root, 'data'));
    await homes.ensure(ann);
    const outside = join(root, 'outside.txt');
    await writeFile(outside, 'keep');
    await mkdir(join(homes.folderOf(ann.userId), 'deep', 'deeper'), { recursive: true });
    await symlink(root, join(homes.folderOf(ann.userId), 'deep', 'to-root'));
    await homes.remove(ann);
    expect(await homes.status(ann)).toEqual({ state: 'Absent' });
    expect(await readdir(root)).toEqual(['data', 'outside.txt']);
    // Removing an absent home is no error.
    await homes.remove(ann);
  });

  it('says a home is Lost when something else stands in its place, and refuses ids that would climb out', async () => {
    const homes = new LocalHomes(join(root, 'data'));
    await mkdir(join(root, 'data', 'homes'), { recursive: true });
    await writeFile(join(root, 'data', 'homes', 'u-ann'), 'not a folder');
    expect(await homes.status(ann)).toMatchObject({ state: 'Lost', reason: expect.stringContaining('is not a folder') });
    for (const userId of ['..', '../etc', '.hidden', 'a/b', '']) expect(() => homes.folderOf(userId)).toThrow('cannot name a home folder');
  });
});

describe('walking a home', () => {
  it('counts apparent sizes as du -sb does, a hard-linked file once, a link as itself', async () => {
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'a'), 'x'.repeat(300));
    await link(join(root, 'sub', 'a'), join(root, 'b'));
    await symlink('/usr/bin', join(root, 'bin'));
    const folderSize = (await lstat(join(root, 'sub'))).size;
    const linkSize = (await lstat(join(root, 'bin'))).size;
    expect(await treeUsage(root)).toEqual({ bytes: 300 + folderSize + linkSize, complete: true });
  });

  it('stops at its limit of entries and says the count is short', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(root, name), '12');
    expect(await treeUsage(root, 3)).toEqual({ bytes: 6, complete: false });
  });

  it.skipIf(process.getuid?.() !== 0)('hands every file to a new owner without following links, and only when the top is not theirs', async () => {
    const home = join(root, 'home');
    const outside = join(root, 'outside');
    await mkdir(join(home, 'a', 'b'), { recursive: true });
    await writeFile(join(home, 'a', 'b', 'f'), 'x');
    await writeFile(outside, 'root\'s');
    await symlink(outside, join(home, 'a', 'link'));
    await symlink(root, join(home, 'up'));
    expect(await reownTree(home, 600123)).toBe(true);
    for (const path of [home, join(home, 'a'), join(home, 'a', 'b'), join(home, 'a', 'b', 'f'), join(home, 'a', 'link'), join(home, 'up')]) {
      expect(await lstat(path)).toMatchObject({ uid: 600123, gid: 600123 });
    }
    expect(await stat(outside)).toMatchObject({ uid: 0, gid: 0 });
    expect(await stat(root)).toMatchObject({ uid: 0 });
    // Already theirs: nothing to walk, even where a file inside is someone else's.
    await writeFile(join(home, 'new'), 'y');
    expect(await reownTree(home, 600123)).toBe(false);
    expect((await lstat(join(home, 'new'))).uid).toBe(0);
  });
});

describe('a persistent home in the sandbox', () => {
  const layout: SandboxLayout = {
    uid: 524290,
    home: '/srv/data/homes/u-ann',
    homeMount: '/home/lab/jovyan',
    passwdFile: '/srv/data/jobs/j1/passwd',
    groupFile: '/srv/data/jobs/j1/group',
    datasets: [
      { name: 'mnist', hostPath: '/srv/datasets/mnist' },
      { name: 'cifar', hostPath: '/srv/datasets/cifar' },
    ],
    datasetsMount: '/home/datasets',
    devices: [],
    tools: [],
    hidden: ['/srv/data'],
  };
  const host = { exists: () => true, closedAncestor: () => undefined };

  it('is bound at its mount path and is the working folder, with the folders above it and the datasets\' made passable', () => {
    const args = sandboxArguments(layout, { bwrap: 'bwrap', setpriv: 'setpriv' }, host);
    const from = args.indexOf('/srv/data/homes/u-ann') - 1;
    expect(args.slice(from - 4, args.indexOf('/etc/passwd') - 2)).toEqual([
      '--perms', '0755', '--dir', '/home/lab',
      '--bind', '/srv/data/homes/u-ann', '/home/lab/jovyan',
      '--perms', '0755', '--dir', '/home/datasets',
      '--ro-bind', '/srv/datasets/mnist', '/home/datasets/mnist',
      '--ro-bind', '/srv/datasets/cifar', '/home/datasets/cifar',
    ]);
    expect(args[args.indexOf('--chdir') + 1]).toBe('/home/lab/jovyan');
  });

  it('puts the datasets beside the home, never inside it', () => {
    expect(datasetsMountFor('/home/classlab')).toBe('/home/datasets');
    expect(datasetsMountFor('/workspace')).toBe('/home/datasets');
    expect(datasetsMountFor('/home')).toBe('/tmp/datasets');
    expect(datasetsMountFor('/home/datasets/me')).toBe('/tmp/datasets');
  });

  it('can be mounted under /home and /tmp, or on a folder the machine has, but not over the sandbox\'s own files', () => {
    const exists = (path: string) => path === '/workspace';
    expect(homeMountProblem('/home/jovyan', exists)).toBeUndefined();
    expect(homeMountProblem('/tmp/work', exists)).toBeUndefined();
    expect(homeMountProblem('/workspace', exists)).toBeUndefined();
    expect(homeMountProblem('/opt/home', exists)).toContain('must be a folder that exists on the machine');
    for (const path of ['/etc', '/etc/x', '/dev/shm/x', '/proc']) expect(homeMountProblem(path, () => true)).toContain('is the sandbox\'s own');
  });

  it('gives the job a Jupyter runtime folder of its own, which a catalog entry may still set', () => {
    const base = { jobId: 'j1', runtimeMarker: '/data', cudaVisibleDevices: '', datasetsFolder: '/home/datasets', home: '/home/classlab', runtimeDir: '/tmp/jupyter-runtime' };
    expect(jobEnvironment({ ...base, extra: {} }, {}).JUPYTER_RUNTIME_DIR).toBe('/tmp/jupyter-runtime');
    expect(jobEnvironment({ ...base, extra: { JUPYTER_RUNTIME_DIR: '/x' } }, {}).JUPYTER_RUNTIME_DIR).toBe('/x');
  });
});

describe('an open data folder', () => {
  it('is closed when a home is made in it, as it is for the jobs\' folders', async () => {
    const dataDir = join(root, 'open');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    await new LocalHomes(dataDir).ensure(ann);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
  });
});
