/**
 * The Deployment and Service of one job, built from the launch spec and the runtime's settings.
 * Pure functions, so what a job asks of the cluster can be read (and tested) in one place.
 */

import type { V1Container, V1Deployment, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ImageCatalog } from '../../config/image-catalog.js';
import { fillPlaceholders, findCatalogEntry } from '../catalog.js';
import type { PortSpec } from '../../common/job-ports.js';
import type { LaunchSpec } from '../types.js';
import { JOB_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, URL_PATH_ANNOTATION, homeClaimName, jobAnnotations, jobLabels, objectName } from './labels.js';

/** The settings that shape a job's objects. */
export interface ManifestSettings {
  namespace: string;
  gpuResource: string;
  datasetPrefix: string;
  datasetMountRoot: string;
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  shmSize: string;
  serviceType: 'NodePort' | 'ClusterIP';
  catalog: ImageCatalog;
}

/** An image nobody described still gets a port: most teaching images are Jupyter. */
export const FALLBACK_PORTS: readonly PortSpec[] = [{ name: 'jupyter', port: 8888 }];

const CONTAINER_NAME = 'job';
const SHM_VOLUME = 'shm';
/** The pod volume of the user's home claim; the job watcher finds a job's home by it. */
export const HOME_VOLUME = 'home';
/**
 * The group a job's home is given to. A freshly provisioned volume is usually root's alone, and
 * Jupyter's images run as an unprivileged user of group 100 (docker-stacks' NB_GID, which z2jh
 * uses too): without the group, the notebook could not write its own home. OnRootMismatch spares
 * a full home the recursive change at every start.
 */
const HOME_FS_GROUP = 100;

/** What launch decides before building objects: ports, the container's env, and the URL path. */
export interface JobPlan {
  ports: readonly PortSpec[];
  env: Record<string, string>;
  urlPath: string;
}

/** Ports from the course, else the catalog, else Jupyter's; `{token}` filled in env and URL path. */
export function planJob(spec: LaunchSpec, catalog: ImageCatalog, token: string): JobPlan {
  const entry = findCatalogEntry(catalog, spec.image);
  const ports = spec.ports.length > 0 ? spec.ports : entry && entry.ports.length > 0 ? entry.ports : FALLBACK_PORTS;
  const values = { token };
  const env = Object.fromEntries(Object.entries(entry?.env ?? {}).map(([name, value]) => [name, fillPlaceholders(value, values)]));
  return { ports, env, urlPath: fillPlaceholders(entry?.urlPath ?? '', values) };
}

/** Kubernetes port names are IANA service names: lowercase, at most 15 characters, one letter at least. */
export function isValidPortName(name: string): boolean {
  return name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

function datasetVolumes(spec: LaunchSpec, settings: ManifestSettings): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const root = settings.datasetMountRoot.replace(/\/+$/, '');
  // Dataset names need not be valid volume names, so volumes are numbered.
  const volumes = spec.datasets.map((dataset, index) => ({
    name: `dataset-${index}`,
    persistentVolumeClaim: { claimName: `${settings.datasetPrefix}${dataset}`, readOnly: true },
  }));
  const mounts = spec.datasets.map((dataset, index) => ({ name: `dataset-${index}`, mountPath: `${root}/${dataset}`, readOnly: true }));
  return { volumes, mounts };
}

/** The user's home claim at the mount path the jobs service chose; no volume without a home. */
function homeVolume(spec: LaunchSpec): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  if (spec.home === undefined) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: HOME_VOLUME, persistentVolumeClaim: { claimName: homeClaimName(spec.home.name) } }],
    mounts: [{ name: HOME_VOLUME, mountPath: spec.home.mountPath }],
  };
}

/** The home claim a job's pods mount, from its Deployment; undefined for a job without a home. */
export function homeClaimOf(deployment: V1Deployment): string | undefined {
  return deployment.spec?.template.spec?.volumes?.find((volume) => volume.name === HOME_VOLUME)?.persistentVolumeClaim?.claimName;
}

function container(spec: LaunchSpec, plan: JobPlan, settings: ManifestSettings, mounts: V1VolumeMount[]): V1Container {
  const limits: Record<string, string> = { cpu: settings.cpuLimit, memory: settings.memoryLimit };
  if (spec.gpu > 0) limits[settings.gpuResource] = String(spec.gpu);
  const env = Object.entries(plan.env).map(([name, value]) => ({ name, value }));
  return {
    name: CONTAINER_NAME,
    image: spec.image,
    ports: plan.ports.map((port) => ({ name: port.name, containerPort: port.port, protocol: 'TCP' })),
    ...(env.length > 0 ? { env } : {}),
    resources: { requests: { cpu: settings.cpuRequest, memory: settings.memoryRequest }, limits },
    volumeMounts: [...mounts, { name: SHM_VOLUME, mountPath: '/dev/shm' }],
  };
}

export function buildDeployment(spec: LaunchSpec, plan: JobPlan, settings: ManifestSettings): V1Deployment {
  const labels = jobLabels(spec);
  const datasets = datasetVolumes(spec, settings);
  const home = homeVolume(spec);
  const volumes = [...home.volumes, ...datasets.volumes];
  const mounts = [...home.mounts, ...datasets.mounts];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: objectName(spec.jobId), namespace: settings.namespace, labels, annotations: jobAnnotations(spec) },
    spec: {
      replicas: 1,
      // A rolling update would run a second pod beside the first, and a second set of GPUs.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [JOB_LABEL]: spec.jobId } },
      template: {
        metadata: { labels, annotations: jobAnnotations(spec) },
        spec: {
          containers: [container(spec, plan, settings, mounts)],
          // Students' code runs here: it has no business talking to the Kubernetes API as us.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(spec.home !== undefined ? { securityContext: { fsGroup: HOME_FS_GROUP, fsGroupChangePolicy: 'OnRootMismatch' } } : {}),
          volumes: [...volumes, { name: SHM_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: settings.shmSize } }],
        },
      },
    },
  };
}

export function buildService(spec: LaunchSpec, plan: JobPlan, settings: ManifestSettings): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: objectName(spec.jobId),
      namespace: settings.namespace,
      labels: jobLabels(spec),
      annotations: { ...jobAnnotations(spec), ...(plan.urlPath !== '' ? { [URL_PATH_ANNOTATION]: plan.urlPath } : {}) },
    },
    spec: {
      type: settings.serviceType,
      selector: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [JOB_LABEL]: spec.jobId },
      ports: plan.ports.map((port) => ({ name: port.name, port: port.port, targetPort: port.name, protocol: 'TCP' })),
    },
  };
}
