/** The URLs a student opens, computed from a job's Service alone so the informer cache suffices. */

import type { V1Service } from '@kubernetes/client-node';
import type { ServiceUrl } from '../../common/job-ports.js';
import { URL_PATH_ANNOTATION } from './labels.js';

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A node host as a URL's start: `https://host` as configured keeps its scheme; a bare host is http. */
function nodeOrigin(nodeHost: string): string {
  return /^https?:\/\//.test(nodeHost) ? nodeHost : `http://${hostForUrl(nodeHost)}`;
}

/**
 * NodePort: `http://<nodeHost>:<nodePort><path>`, or the scheme the node host names
 * (CLASSLAB_NODEPORT_HOST=https://host); ClusterIP: `http://<svc>.<ns>.svc:<port><path>`.
 * A NodePort the API has not assigned yet gives no URL rather than a wrong one.
 */
export function serviceUrls(service: V1Service, nodeHost: string | undefined): ServiceUrl[] {
  const path = service.metadata?.annotations?.[URL_PATH_ANNOTATION] ?? '';
  const ports = service.spec?.ports ?? [];
  if (service.spec?.type === 'NodePort') {
    if (nodeHost === undefined) return [];
    return ports.flatMap((port) =>
      port.nodePort === undefined ? [] : [{ label: port.name ?? String(port.port), value: `${nodeOrigin(nodeHost)}:${port.nodePort}${path}` }],
    );
  }
  const host = `${service.metadata?.name ?? ''}.${service.metadata?.namespace ?? 'default'}.svc`;
  return ports.map((port) => ({ label: port.name ?? String(port.port), value: `http://${host}:${port.port}${path}` }));
}
