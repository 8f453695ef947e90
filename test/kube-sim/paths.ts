// Parses Kubernetes REST paths: /api/v1/namespaces/{ns}/{resource}/{name}/{subresource} and the
// /apis/{group}/{version}/… and legacy /…/watch/… forms.
import { findResource, type ResourceType } from './resources.js';

export interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The old `/api/v1/watch/...` form, which means ?watch=true. */
  legacyWatch: boolean;
}

export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const segments = pathname.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  const legacyWatch = rest[0] === 'watch';
  if (legacyWatch) rest = rest.slice(1);

  // /namespaces/{ns}/{resource}/... unless {resource} is not namespaced, in which case it is
  // a subresource of the namespace itself (/namespaces/{ns}/status).
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const namespaced = findResource(group, version, rest[2] ?? '');
    if (namespaced?.namespaced) {
      return {
        type: namespaced,
        namespace: rest[1],
        ...(rest[3] !== undefined ? { name: rest[3] } : {}),
        ...(rest[4] !== undefined ? { subresource: rest[4] } : {}),
        legacyWatch,
      };
    }
  }
  const type = findResource(group, version, rest[0] ?? '');
  if (!type || rest.length > 3) return undefined;
  return {
    type,
    ...(rest[1] !== undefined ? { name: rest[1] } : {}),
    ...(rest[2] !== undefined ? { subresource: rest[2] } : {}),
    legacyWatch,
  };
}
