/**
 * Settings of the job runtimes and of the jobs service's quotas and lifetimes. Kept apart from
 * settings.ts so that each area's settings read in one sitting; settings.ts spreads them in.
 */

import { Value } from 'typebox/value';
import { DEFAULT_CATALOG, ImageCatalogSchema, type ImageCatalog } from './image-catalog.js';
import { hostAddress, integer, nonEmptyString, optionalString, type RawValue, type Setting } from './parsers.js';

export const RUNTIME_KINDS = ['local', 'kubernetes'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export function oneOf<T extends string>(choices: readonly T[]) {
  return (raw: RawValue): T => {
    const text = String(raw).trim();
    if (!(choices as readonly string[]).includes(text)) {
      throw new Error(`must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return text as T;
  };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `4h`, `2d`, or plain seconds; answers seconds. `off` is undefined: no limit. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === 'off') return undefined;
  const match = /^(\d+)([smhd]?)$/.exec(trimmed);
  if (!match) throw new Error(`${JSON.stringify(text)} is not a duration such as 90s, 30m, 4h, 2d or off`);
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] as number);
  if (seconds <= 0) throw new Error(`${JSON.stringify(text)} must be longer than zero (or off)`);
  return seconds;
}

/** A value per role, where undefined means "no limit". */
export type PerRole<T> = Readonly<Record<string, T | undefined>>;

/**
 * `student=1,teacher=2` in the environment, or `{"student": 1}` in the config file. Each value
 * goes through `parseValue`; `off` means no limit for that role.
 */
function perRole<T>(parseValue: (text: string) => T | undefined) {
  return (raw: RawValue): PerRole<T> => {
    // `off` alone: no limit for any role.
    if (typeof raw === 'string' && raw.trim() === 'off') return {};
    const pairs: [string, string][] =
      typeof raw === 'object'
        ? Object.entries(raw).map(([role, value]) => [role, String(value)])
        : String(raw)
            .split(',')
            .filter((part) => part.trim() !== '')
            .map((part) => {
              const [role, value, extra] = part.split('=');
              if (value === undefined || extra !== undefined) throw new Error(`must be role=value pairs separated by commas, got ${JSON.stringify(part)}`);
              return [(role ?? '').trim(), value.trim()];
            });
    const result: Record<string, T | undefined> = {};
    for (const [role, value] of pairs) {
      if (!/^[a-z][a-z0-9_-]*$/i.test(role)) throw new Error(`names an invalid role ${JSON.stringify(role)}`);
      result[role] = parseValue(value);
    }
    return result;
  };
}

function jobCount(text: string): number | undefined {
  if (text.trim() === 'off') return undefined;
  return integer(0, 1000)(text);
}

function imageCatalog(raw: RawValue): ImageCatalog {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(`must be a JSON array of catalog entries: ${(error as Error).message}`);
    }
  }
  if (!Value.Check(ImageCatalogSchema, value)) {
    const first = Value.Errors(ImageCatalogSchema, value)[0];
    throw new Error(`is not a valid image catalog: ${first ? `${first.instancePath || '/'} ${first.message}` : 'wrong shape'}`);
  }
  return value;
}

/** `0,1,3`: the GPU indexes the local runtime may hand out through CUDA_VISIBLE_DEVICES. */
function gpuList(raw: RawValue): string[] {
  const text = String(raw).trim();
  if (text === '') return [];
  const ids = text.split(',').map((id) => id.trim());
  for (const id of ids) if (!/^\d+$|^GPU-[0-9a-f-]+$/i.test(id)) throw new Error(`must be GPU indexes or UUIDs separated by commas, got ${JSON.stringify(id)}`);
  if (new Set(ids).size !== ids.length) throw new Error('names a GPU twice');
  return ids;
}

/** Kubernetes quantities such as `500m`, `2`, `1Gi`. */
export function quantity(raw: RawValue): string {
  const text = String(raw).trim();
  if (!/^\d+(\.\d+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.test(text)) throw new Error(`must be a Kubernetes quantity such as 500m, 2, 512Mi or 8Gi, got ${JSON.stringify(raw)}`);
  return text;
}

/** A DNS-1123 name, as Kubernetes wants for namespaces and resource names. */
export function dnsName(raw: RawValue): string {
  const text = String(raw).trim();
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(text)) throw new Error(`must be a lowercase DNS name such as default, got ${JSON.stringify(raw)}`);
  return text;
}

export function seconds(min: number, max: number) {
  return (raw: RawValue): number => {
    const value = parseDuration(String(raw));
    if (value === undefined || value < min || value > max) throw new Error(`must be a duration from ${min}s to ${max}s, got ${JSON.stringify(raw)}`);
    return value;
  };
}

/**
 * A bare host (`gpu.lab.example.edu`, `10.0.0.5`) or `http(s)://host`, whose scheme job URLs
 * keep. The port is each job's NodePort, so the setting cannot name one.
 */
function nodePortHost(raw: RawValue): string | undefined {
  const text = optionalString(String(raw).trim());
  if (text === undefined) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return hostAddress(text);
  const refuse = (why: string) => new Error(`${why}, got ${JSON.stringify(raw)}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('must be a host, or http(s)://host');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('must be a host, or http(s)://host');
  if (url.port !== '') throw refuse("must not name a port: each job's NodePort is the port");
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw refuse('must be only a scheme and a host');
  return `${url.protocol}//${url.host}`;
}

export const runtimeSettings = {
  runtime: {
    env: 'CLASSLAB_RUNTIME',
    description: 'where jobs run: local (processes on this machine) or kubernetes',
    default: 'local' as RuntimeKind,
    parse: oneOf(RUNTIME_KINDS),
  } satisfies Setting<RuntimeKind>,
  kubeconfig: {
    env: 'KUBECONFIG',
    description: 'kubeconfig file for the kubernetes runtime; unset means in-cluster, then ~/.kube/config',
    default: undefined as string | undefined,
    parse: optionalString,
  } satisfies Setting<string | undefined>,
  namespace: {
    env: 'CLASSLAB_NAMESPACE',
    description: 'Kubernetes namespace of jobs and dataset PVCs',
    default: 'default',
    parse: dnsName,
  } satisfies Setting<string>,
  gpuResource: {
    env: 'CLASSLAB_GPU_RESOURCE',
    description: 'Kubernetes extended resource name of a GPU',
    default: 'nvidia.com/gpu',
    parse: nonEmptyString,
  } satisfies Setting<string>,
  datasetPrefix: {
    env: 'CLASSLAB_DATASET_PREFIX',
    description: 'PVCs whose names start with this are datasets; the rest of the name is the dataset',
    default: 'dataset-',
    parse: (raw: RawValue) => String(raw).trim(),
  } satisfies Setting<string>,
  datasetMountRoot: {
    env: 'CLASSLAB_DATASET_MOUNT_ROOT',
    description: 'where datasets are mounted read-only inside a job, one folder each',
    default: '/datasets',
    parse: nonEmptyString,
  } satisfies Setting<string>,
  jobCpuRequest: { env: 'CLASSLAB_JOB_CPU_REQUEST', description: 'CPU request of a job', default: '500m', parse: quantity } satisfies Setting<string>,
  jobCpuLimit: { env: 'CLASSLAB_JOB_CPU_LIMIT', description: 'CPU limit of a job', default: '4', parse: quantity } satisfies Setting<string>,
  jobMemoryRequest: { env: 'CLASSLAB_JOB_MEMORY_REQUEST', description: 'memory request of a job', default: '1Gi', parse: quantity } satisfies Setting<string>,
  jobMemoryLimit: { env: 'CLASSLAB_JOB_MEMORY_LIMIT', description: 'memory limit of a job', default: '8Gi', parse: quantity } satisfies Setting<string>,
  shmSize: { env: 'CLASSLAB_SHM_SIZE', description: 'size of the in-memory /dev/shm of a job', default: '1Gi', parse: quantity } satisfies Setting<string>,
  serviceType: {
    env: 'CLASSLAB_SERVICE_TYPE',
    description: 'Kubernetes Service type of a job: NodePort or ClusterIP',
    default: 'NodePort' as 'NodePort' | 'ClusterIP',
    parse: oneOf(['NodePort', 'ClusterIP'] as const),
  } satisfies Setting<'NodePort' | 'ClusterIP'>,
  nodePortHost: {
    env: 'CLASSLAB_NODEPORT_HOST',
    description: 'host students use to reach NodePorts (http://host:nodePort), or https://host to keep that scheme; unset means the first Ready node address',
    default: undefined as string | undefined,
    parse: nodePortHost,
  } satisfies Setting<string | undefined>,
  imageCatalog: {
    env: 'CLASSLAB_IMAGE_CATALOG',
    description: 'image catalog: JSON array of {name, match, ports, urlPath?, env?, local?, homePath?}',
    default: DEFAULT_CATALOG,
    parse: imageCatalog,
    structured: true,
  } satisfies Setting<ImageCatalog>,
  localHost: {
    env: 'CLASSLAB_LOCAL_HOST',
    description: 'address local jobs listen on, and the host of their URLs',
    default: '127.0.0.1',
    parse: hostAddress,
  } satisfies Setting<string>,
  localGpus: {
    env: 'CLASSLAB_LOCAL_GPUS',
    description: 'GPUs the local runtime hands out (CUDA_VISIBLE_DEVICES values), comma-separated',
    default: [] as string[],
    parse: gpuList,
  } satisfies Setting<string[]>,
  localDatasetsDir: {
    env: 'CLASSLAB_LOCAL_DATASETS_DIR',
    description: 'folder whose subfolders are the local runtime datasets',
    default: './datasets',
    parse: nonEmptyString,
  } satisfies Setting<string>,
  jobLimits: {
    env: 'CLASSLAB_JOB_LIMITS',
    description: 'concurrent jobs per role (the most generous of a user\'s roles applies), e.g. student=1,teacher=2',
    default: { student: 1, teacher: 2, admin: 4 } as PerRole<number>,
    parse: perRole(jobCount),
    structured: true,
  } satisfies Setting<PerRole<number>>,
  jobMaxAge: {
    env: 'CLASSLAB_JOB_MAX_AGE',
    description: 'age after which a job is culled, per role, e.g. student=4h,teacher=12h (off: never)',
    default: { student: 4 * 3600, teacher: 12 * 3600, admin: 24 * 3600 } as PerRole<number>,
    parse: perRole(parseDuration),
    structured: true,
  } satisfies Setting<PerRole<number>>,
  jobIdleTimeout: {
    env: 'CLASSLAB_JOB_IDLE_TIMEOUT',
    description: 'idle time after which a job is culled, per role, where the runtime can tell idleness',
    default: { student: 3600, teacher: 2 * 3600, admin: 4 * 3600 } as PerRole<number>,
    parse: perRole(parseDuration),
    structured: true,
  } satisfies Setting<PerRole<number>>,
  launchTimeoutSeconds: {
    env: 'CLASSLAB_LAUNCH_TIMEOUT',
    description: 'how long a launch may take to create its objects; a job still Created after this (the server died mid-launch) is failed',
    default: 60,
    parse: seconds(1, 3600),
  } satisfies Setting<number>,
  reconcileIntervalSeconds: {
    env: 'CLASSLAB_RECONCILE_INTERVAL',
    description: 'how often jobs are reconciled with the runtime and culled',
    default: 30,
    parse: seconds(1, 3600),
  } satisfies Setting<number>,
};
