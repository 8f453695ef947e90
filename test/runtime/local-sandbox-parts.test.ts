/** The sandbox's pieces that need no root: its mounts, the cgroup files it writes, user ids, GPUs. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { detectCgroups, parseCgroupMounts, parseOwnGroups } from '../../src/runtime/local/cgroups.js';
import { gpuDeviceFiles } from '../../src/runtime/local/gpu-devices.js';
import { closedAncestor, installRoot } from '../../src/runtime/local/host-paths.js';
import { identityFiles, sandboxArguments, type SandboxLayout } from '../../src/runtime/local/sandbox.js';
import { UidPool } from '../../src/runtime/local/uid-pool.js';

const layout: SandboxLayout = {
  uid: 524290,
  home: '/srv/classlab/data/jobs/j1/home',
  homeMount: '/home/classlab',
  passwdFile: '/srv/classlab/data/jobs/j1/passwd',
  groupFile: '/srv/classlab/data/jobs/j1/group',
  datasets: [{ name: 'mnist', hostPath: '/srv/datasets/mnist' }],
  datasetsMount: '/home/classlab/datasets',
  devices: ['/dev/nvidia1', '/dev/nvidiactl'],
  tools: ['/root/.nvm/versions/node/v20', '/srv/classlab'],
  hidden: ['/srv/classlab/data', '/srv/datasets', '/missing'],
};
const host = {
  exists: (path: string) => path !== '/missing',
  // As on a machine where /root and /srv are 0700: classlab under /srv must be mounted again.
  closedAncestor: (path: string) => ['/root', '/srv'].find((folder) => path.startsWith(`${folder}/`)),
};

/** Pairs of (option, path) in bwrap's order, for the mount options that take one path. */
function mounts(args: string[]): string[] {
  const seen: string[] = [];
  args.forEach((arg, index) => {
    if (arg === '--tmpfs') seen.push(`tmpfs ${args[index + 1]}`);
    if (arg === '--ro-bind' || arg === '--bind' || arg === '--dev-bind') seen.push(`${arg.slice(2)} ${args[index + 1]} ${args[index + 2]}`);
  });
  return seen;
}

describe('the sandbox\'s mounts', () => {
  it('hides private folders and the data folder, keeps tools visible, and mounts the job\'s own files last', () => {
    const args = sandboxArguments(layout, { bwrap: '/usr/bin/bwrap', setpriv: '/usr/bin/setpriv' }, host);
    expect(mounts(args)).toEqual([
      'ro-bind / /',
      'tmpfs /dev/shm',
      'tmpfs /home',
      'tmpfs /tmp',
      'tmpfs /root',
      'tmpfs /srv',
      'ro-bind /srv/classlab /srv/classlab',
      'tmpfs /srv/datasets',
      'tmpfs /srv/classlab/data',
      'ro-bind /root/.nvm/versions/node/v20 /root/.nvm/versions/node/v20',
      'bind /srv/classlab/data/jobs/j1/home /home/classlab',
      'ro-bind /srv/datasets/mnist /home/classlab/datasets/mnist',
      'ro-bind /srv/classlab/data/jobs/j1/passwd /etc/passwd',
      'ro-bind /srv/classlab/data/jobs/j1/group /etc/group',
      'dev-bind /dev/nvidia1 /dev/nvidia1',
      'dev-bind /dev/nvidiactl /dev/nvidiactl',
    ]);
    // /tmp and /dev/shm are everyone's, with the sticky bit, as on any machine.
    expect(args.slice(args.indexOf('/tmp') - 3, args.indexOf('/tmp') + 1)).toEqual(['--perms', '1777', '--tmpfs', '/tmp']);
    const setpriv = args.slice(args.indexOf('--') + 1);
    expect(setpriv).toEqual(['/usr/bin/setpriv', '--reuid=524290', '--regid=524290', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--']);
    expect(args).toContain('--unshare-pid');
  });

  it('puts prlimit in front of the program where cgroups cannot hold the job', () => {
    const args = sandboxArguments({ ...layout, rlimits: { addressSpaceBytes: 2 ** 30, processes: 64 } }, { bwrap: 'bwrap', setpriv: 'setpriv', prlimit: '/usr/bin/prlimit' }, host);
    expect(args.slice(-4)).toEqual(['/usr/bin/prlimit', `--as=${2 ** 30}`, '--nproc=64', '--']);
  });

  it('gives the job\'s user id a name and home in passwd and group', () => {
    const files = identityFiles('root:x:0:0:root:/root:/bin/bash', 'root:x:0:\n', 524290);
    expect(files.passwd).toBe('root:x:0:0:root:/root:/bin/bash\nclasslab:x:524290:524290:classlab job:/home/classlab:/bin/sh\n');
    expect(files.group).toBe('root:x:0:\nclasslab:x:524290:\n');
  });

  it('finds the folder a program was installed into, and the first folder others cannot enter', () => {
    expect(installRoot('/nonexistent/venv/bin/jupyter')).toBe('/nonexistent/venv');
    expect(installRoot('/nonexistent/tools/run.sh')).toBe('/nonexistent/tools');
    expect(closedAncestor('/tmp/tmp.abc/c/app', (folder) => folder !== '/tmp/tmp.abc')).toBe('/tmp/tmp.abc');
    expect(closedAncestor('/usr/lib/node', () => true)).toBeUndefined();
  });
});

describe('user ids of jobs', () => {
  it('hands each user running jobs an id of their own from the range, and takes it back', () => {
    const pool = new UidPool({ first: 600000, last: 600001 });
    expect(pool.take('a', 'ann')).toBe(600000);
    expect(pool.take('b', 'bob')).toBe(600001);
    expect(pool.take('c', 'cat')).toBeUndefined();
    pool.release('a');
    expect(pool.take('c', 'cat')).toBe(600000);
  });

  it('gives all running jobs of one user the same id, held until the last of them ends', () => {
    const pool = new UidPool({ first: 600000, last: 600001 });
    expect(pool.take('a1', 'ann')).toBe(600000);
    expect(pool.take('a2', 'ann')).toBe(600000);
    expect(pool.take('b', 'bob')).toBe(600001);
    pool.release('a1');
    expect(pool.take('c', 'cat')).toBeUndefined();
    pool.release('a2');
    expect(pool.take('c', 'cat')).toBe(600000);
    // A job released twice, or never taken, frees nothing of anyone else's.
    pool.release('a2');
    pool.release('zzz');
    expect(pool.take('c2', 'cat')).toBe(600000);
    expect(pool.take('d', 'dan')).toBeUndefined();
  });

  it('prefers the id a user\'s home already belongs to, when it is free and in the range', () => {
    const pool = new UidPool({ first: 600000, last: 600009 });
    expect(pool.take('a', 'ann', 600005)).toBe(600005);
    // Held by ann: bob gets the lowest free one instead.
    expect(pool.take('b', 'bob', 600005)).toBe(600000);
    // Out of the range (the setting changed): not taken.
    expect(pool.take('c', 'cat', 1000)).toBe(600001);
    // A user already running keeps their id whatever their home says.
    expect(pool.take('a2', 'ann', 600009)).toBe(600005);
  });

  it('are a setting, refused when they would include a system account or nobody', () => {
    expect(loadConfig({ CLASSLAB_LOCAL_UIDS: '700000-700999' }).localUids).toEqual({ first: 700000, last: 700999 });
    expect(() => loadConfig({ CLASSLAB_LOCAL_UIDS: '0-100' })).toThrow('Invalid configuration: CLASSLAB_LOCAL_UIDS must be a range of user ids FIRST-LAST from 1000 to 4294967294, got "0-100"');
    expect(() => loadConfig({ CLASSLAB_LOCAL_UIDS: '60000-70000' })).toThrow('must not include 65534 (nobody)');
    expect(loadConfig({ CLASSLAB_LOCAL_JOB_MEMORY: '512Mi', CLASSLAB_LOCAL_JOB_CPUS: '0.5' })).toMatchObject({ localJobMemory: 512 * 2 ** 20, localJobCpus: 0.5 });
    expect(() => loadConfig({ CLASSLAB_LOCAL_JOB_MEMORY: '512' })).toThrow('CLASSLAB_LOCAL_JOB_MEMORY must be a size of at least 32Mi');
    expect(() => loadConfig({ CLASSLAB_LOCAL_ISOLATION: 'none' })).toThrow('CLASSLAB_LOCAL_ISOLATION must be sandbox or off, got "none"');
    expect(loadConfig({ CLASSLAB_LOCAL_MAX_JOBS: 'auto' }).localMaxJobs).toBeUndefined();
  });
});

describe('GPU device files', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('are matched by index in PCI order or by UUID through the driver\'s list, with the control files', async () => {
    root = await mkdtemp(join(tmpdir(), 'classlab-gpus-'));
    for (const [bus, minor, uuid] of [['0000:41:00.0', 3, 'GPU-aaaa'], ['0000:01:00.0', 7, 'GPU-bbbb']] as const) {
      await mkdir(join(root, bus));
      await writeFile(join(root, bus, 'information'), `Model: H200\nGPU UUID: ${uuid}\nDevice Minor: ${minor}\n`);
    }
    const exists = (path: string) => ['/dev/nvidia3', '/dev/nvidia7', '/dev/nvidiactl', '/dev/nvidia-uvm'].includes(path);
    expect(gpuDeviceFiles(['0'], { driverRoot: root, exists })).toEqual(['/dev/nvidia7', '/dev/nvidiactl', '/dev/nvidia-uvm']);
    expect(gpuDeviceFiles(['GPU-aaaa'], { driverRoot: root, exists })).toEqual(['/dev/nvidia3', '/dev/nvidiactl', '/dev/nvidia-uvm']);
    expect(gpuDeviceFiles([], { driverRoot: root, exists })).toEqual([]);
  });
});

describe('control groups', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads the mounts and the process\'s own groups', () => {
    const mounts = parseCgroupMounts('35 24 0:30 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory\n36 24 0:31 /ns /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    expect(mounts).toEqual([
      { root: '/', mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', options: ['rw', 'memory'] },
      { root: '/ns', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', options: ['rw'] },
    ]);
    expect(parseOwnGroups('4:memory:/lab\n2:cpu,cpuacct:/\n0::/user.slice\n')).toEqual(new Map([['memory', '/lab'], ['cpu', '/'], ['cpuacct', '/'], ['', '/user.slice']]));
  });

  it('on cgroup v2, makes a group per job under the server\'s with its memory, CPU and process limits', async () => {
    root = await mkdtemp(join(tmpdir(), 'classlab-cgroup-'));
    const own = join(root, 'system.slice', 'classlab.service');
    await mkdir(own, { recursive: true });
    const files: Record<string, string> = {
      '/proc/self/mountinfo': `30 20 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`,
      '/proc/self/cgroup': '0::/system.slice/classlab.service\n',
      [join(own, 'cgroup.controllers')]: 'cpuset cpu io memory pids\n',
    };
    const cgroups = await detectCgroups('server-a', async (path) => files[path] ?? readFile(path, 'utf8'));
    expect(cgroups?.version).toBe('v2');
    expect(await readFile(join(own, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu +pids');
    const group = await cgroups!.create('job-1', { memoryBytes: 2 ** 30, cpus: 1.5, processes: 500 });
    const folder = join(own, 'classlab-jobs-server-a', 'job-1');
    expect(group.procsFiles).toEqual([join(folder, 'cgroup.procs')]);
    expect(await readFile(join(folder, 'memory.max'), 'utf8')).toBe(String(2 ** 30));
    expect(await readFile(join(folder, 'cpu.max'), 'utf8')).toBe('150000 100000');
    expect(await readFile(join(folder, 'pids.max'), 'utf8')).toBe('500');
    await writeFile(join(folder, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    expect(await group.oomKills()).toBe(1);
  });

  it("keeps each server's job groups apart: a server's stale clean-up never touches another's", async () => {
    root = await mkdtemp(join(tmpdir(), 'classlab-cgroup-'));
    const own = join(root, 'shared');
    await mkdir(own, { recursive: true });
    const files: Record<string, string> = {
      '/proc/self/mountinfo': `30 20 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`,
      '/proc/self/cgroup': '0::/shared\n',
      [join(own, 'cgroup.controllers')]: 'memory pids\n',
    };
    const read = async (path: string) => files[path] ?? readFile(path, 'utf8');
    const first = await detectCgroups('server-a', read);
    const second = await detectCgroups('server-b', read);
    // An empty group, as a launch makes it a moment before its process joins.
    await mkdir(join(own, 'classlab-jobs-server-a', 'job-of-a'));
    expect(await second!.removeStale(new Set())).toEqual([]);
    expect(await readdir(join(own, 'classlab-jobs-server-a'))).toContain('job-of-a');
    expect(await first!.removeStale(new Set())).toEqual(['job-of-a']);
  });

  it('answers none where no tree holds the memory controller', async () => {
    const files: Record<string, string> = { '/proc/self/mountinfo': '22 1 0:20 / /proc rw - proc proc rw\n', '/proc/self/cgroup': '0::/\n' };
    expect(await detectCgroups('server-a', async (path) => files[path] ?? '')).toBeUndefined();
  });
});
