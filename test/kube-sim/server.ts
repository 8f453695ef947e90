// The HTTP front of the simulator: authentication, fault injection, counters, discovery and the
// REST verbs, each answered as a Kubernetes API server answers it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceApi, DeleteOptions, PropagationPolicy } from './api.js';
import { coreVersions, group, groupList, openApiGroupVersion, openApiRoot, resourceList, serverVersion } from './discovery.js';
import type { Faults, RequestDescription } from './faults.js';
import { readJson, sendError, sendJson } from './http-util.js';
import { jsonPatch, jsonPatchType, mergePatch, mergePatchTypes } from './patch.js';
import { parseResourcePath, type ResourcePath } from './paths.js';
import { apiVersionOf } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { requestAttributes, type RbacAuthorizer, type ServiceAccountRef } from './rbac.js';
import { ApiError } from './status.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject } from './types.js';
import type { WatchHub } from './watch.js';
import { scalableResources, toScale, writeScale } from './scale.js';
import { wantsTable, toTable } from './tables.js';

export interface ServerParts {
  store: ObjectStore;
  api: ResourceApi;
  hub: WatchHub;
  faults: Faults;
  token: string;
  /** Checks ServiceAccount tokens against the stored Roles and bindings (any other token gets 401). */
  rbac: RbacAuthorizer;
  /** Handles /_sim/… ; returns false when the path is not one of its own. */
  simRoutes(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

function verbOf(method: string, path: ResourcePath, watch: boolean): string {
  if (method === 'GET') return watch ? 'watch' : path.name === undefined ? 'list' : 'get';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return path.name === undefined ? 'deletecollection' : 'delete';
  return method.toLowerCase();
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

/** Items of a List carry no kind/apiVersion on the wire, as from a real server. */
function listItem(object: KubeObject): KubeObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return rest as KubeObject;
}

export function createHandler(parts: ServerParts) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://kube-sim');
    try {
      if (url.pathname.startsWith('/_sim/') && (await parts.simRoutes(request, response, url))) return;
      if (serveUnauthenticated(url, response)) return;
      // kubectl never sends a bearer token over plain http, so requests without one are served as an
      // anonymous user would be on a permissive cluster; a wrong token is still refused.
      const account = authenticate(parts, request.headers.authorization);
      // Discovery is open to every authenticated user, as the system:discovery ClusterRole makes it.
      if (serveDiscovery(url, response)) return;
      const path = parseResourcePath(url.pathname);
      if (!path) throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
      if (account) parts.rbac.authorize(account, requestAttributes(path, requestVerb(request, url, path)));
      await serveResource(parts, request, response, url, path);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const apiError =
        error instanceof ApiError ? error : new ApiError(500, `Internal error occurred: ${(error as Error).message}`, 'InternalError');
      sendError(response, apiError);
    }
  };
}

/** undefined: the administrator (the simulator's own token, or none); else the ServiceAccount the token acts as. */
function authenticate(parts: ServerParts, authorization: string | undefined): ServiceAccountRef | undefined {
  if (authorization === undefined || authorization === `Bearer ${parts.token}`) return undefined;
  const account = authorization.startsWith('Bearer ') ? parts.rbac.accountFor(authorization.slice('Bearer '.length)) : undefined;
  if (!account) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  return account;
}

function requestVerb(request: IncomingMessage, url: URL, path: ResourcePath): string {
  return verbOf(request.method ?? 'GET', path, path.legacyWatch || isTrue(url.searchParams.get('watch')));
}

function serveUnauthenticated(url: URL, response: ServerResponse): boolean {
  const path = url.pathname.replace(/\/$/, '');
  if (path === '/version') {
    sendJson(response, 200, serverVersion);
    return true;
  }
  if (['/healthz', '/livez', '/readyz'].includes(path)) {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('ok');
    return true;
  }
  return false;
}

function serveDiscovery(url: URL, response: ServerResponse): boolean {
  const path = url.pathname.replace(/\/$/, '');
  const segments = path.split('/').filter(Boolean);
  let body: Record<string, unknown> | undefined;
  let handled = true;
  if (path === '/api') body = coreVersions();
  else if (path === '/apis') body = groupList();
  else if (segments[0] === 'api' && segments.length === 2) body = resourceList('', segments[1] ?? '');
  else if (segments[0] === 'apis' && segments.length === 2) body = group(segments[1] ?? '');
  else if (segments[0] === 'apis' && segments.length === 3) body = resourceList(segments[1] ?? '', segments[2] ?? '');
  else if (path === '/openapi/v3') body = openApiRoot();
  else if (path.startsWith('/openapi/v3/')) body = openApiGroupVersion(path.slice('/openapi/v3/'.length));
  else if (path === '/openapi/v2') body = undefined; // not served; kubectl only needs v3 here
  else handled = false;
  if (!handled) return false;
  if (body) sendJson(response, 200, body);
  else sendError(response, new ApiError(404, 'the server could not find the requested resource', 'NotFound'));
  return true;
}

async function serveResource(parts: ServerParts, request: IncomingMessage, response: ServerResponse, url: URL, path: ResourcePath): Promise<void> {
  const method = request.method ?? 'GET';
  const watch = path.legacyWatch || isTrue(url.searchParams.get('watch'));
  const description: RequestDescription = {
    httpMethod: method,
    verb: requestVerb(request, url, path),
    resource: path.type.resource,
    ...(path.subresource ? { subresource: path.subresource } : {}),
  };
  parts.faults.count(description);
  const injected = parts.faults.takeFailure(description);
  if (injected) throw injected;

  const { api } = parts;
  const { type, namespace, name, subresource } = path;
  const dryRun = url.searchParams.getAll('dryRun').includes('All');
  requireJsonBody(request);
  if (subresource === 'scale' && scalableResources.has(type.resource) && name !== undefined) {
    await serveScale(api, request, response, path, name);
    return;
  }
  switch (description.verb) {
    case 'watch':
    case 'list': {
      const labelSelector = parseLabelSelector(url.searchParams.get('labelSelector') ?? undefined);
      const fieldSelector = parseFieldSelector(url.searchParams.get('fieldSelector') ?? undefined, type);
      if (watch) {
        const timeout = url.searchParams.get('timeoutSeconds');
        parts.hub.serve(
          {
            type,
            namespace: type.namespaced ? namespace : undefined,
            labelSelector,
            fieldSelector,
            resourceVersion: url.searchParams.get('resourceVersion') ?? undefined,
            allowBookmarks: isTrue(url.searchParams.get('allowWatchBookmarks')),
            sendInitialEvents: isTrue(url.searchParams.get('sendInitialEvents')),
            timeoutSeconds: timeout ? Number(timeout) : undefined,
            ...(wantsTable(request.headers.accept)
              ? { encode: (object: KubeObject, first: boolean) => toTable(type, [object], object.metadata.resourceVersion ?? '', first) }
              : {}),
          },
          response,
        );
        return;
      }
      const items = api
        .list(type.resource, namespace)
        .filter((object) => labelSelector(object.metadata.labels ?? {}) && fieldSelector(object));
      const resourceVersion = String(parts.store.currentRevision);
      if (wantsTable(request.headers.accept)) {
        sendJson(response, 200, toTable(type, items, resourceVersion));
        return;
      }
      sendJson(response, 200, {
        kind: `${type.kind}List`,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion },
        items: items.map(listItem),
      });
      return;
    }
    case 'get': {
      const object = api.get(type.resource, namespace, name ?? '');
      if (subresource !== undefined && subresource !== 'status') {
        throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
      }
      if (wantsTable(request.headers.accept)) sendJson(response, 200, toTable(type, [object], object.metadata.resourceVersion ?? ''));
      else sendJson(response, 200, object);
      return;
    }
    case 'create': {
      const created = api.create(type.resource, namespace, await readJson(request), { dryRun });
      sendJson(response, 201, created);
      return;
    }
    case 'update': {
      sendJson(response, 200, api.replace(type.resource, namespace, name ?? '', await readJson(request), subresource, { dryRun }));
      return;
    }
    case 'patch': {
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const body = await readJson(request);
      sendJson(response, 200, api.mutate(type.resource, namespace, name ?? '', patcher(contentType, body), subresource, { dryRun }));
      return;
    }
    case 'delete': {
      const options = deleteOptions(url, await readJson(request), dryRun);
      sendJson(response, 200, api.delete(type.resource, namespace, name ?? '', options));
      return;
    }
    case 'deletecollection': {
      const labelSelector = parseLabelSelector(url.searchParams.get('labelSelector') ?? undefined);
      const fieldSelector = parseFieldSelector(url.searchParams.get('fieldSelector') ?? undefined, type);
      const options = deleteOptions(url, await readJson(request), dryRun);
      const deleted = api
        .list(type.resource, namespace)
        .filter((object) => labelSelector(object.metadata.labels ?? {}) && fieldSelector(object))
        .map((object) => api.delete(type.resource, object.metadata.namespace, object.metadata.name ?? '', options));
      sendJson(response, 200, {
        kind: `${type.kind}List`,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(parts.store.currentRevision) },
        items: deleted.map(listItem),
      });
      return;
    }
    default:
      throw new ApiError(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
  }
}

function deleteOptions(url: URL, body: unknown, dryRun: boolean): DeleteOptions {
  const fromBody = isRecord(body) ? body : {};
  const policy = (url.searchParams.get('propagationPolicy') ?? fromBody['propagationPolicy']) as PropagationPolicy | undefined;
  const orphan = url.searchParams.get('orphanDependents') ?? fromBody['orphanDependents'];
  const preconditions = isRecord(fromBody['preconditions']) ? (fromBody['preconditions'] as DeleteOptions['preconditions']) : undefined;
  return {
    dryRun: dryRun || (Array.isArray(fromBody['dryRun']) && fromBody['dryRun'].includes('All')),
    ...(policy ? { propagationPolicy: policy } : orphan === true || orphan === 'true' ? { propagationPolicy: 'Orphan' } : {}),
    ...(preconditions ? { preconditions } : {}),
  };
}

function patcher(contentType: string, body: unknown): (object: KubeObject) => KubeObject {
  if (contentType === jsonPatchType) return (object) => jsonPatch(object, body) as KubeObject;
  if (mergePatchTypes.includes(contentType)) return (object) => mergePatch(object, body) as KubeObject;
  throw new ApiError(
    415,
    `the body of the request was in an unknown format - accepted media types include: ${[jsonPatchType, ...mergePatchTypes].join(', ')}`,
    'UnsupportedMediaType',
  );
}

/**
 * Bodies must be JSON. Some kubectl commands built on typed clients (`kubectl create deployment`)
 * send protobuf, which the simulator cannot decode; they get a clear 415 instead of a parse error.
 */
function requireJsonBody(request: IncomingMessage): void {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    throw new ApiError(
      415,
      `the body of the request was in an unknown format - accepted media types include: application/json, ` +
        `${jsonPatchType}, ${mergePatchTypes.join(', ')} (kube-sim does not decode ${contentType})`,
      'UnsupportedMediaType',
    );
  }
}

async function serveScale(api: ResourceApi, request: IncomingMessage, response: ServerResponse, path: ResourcePath, name: string): Promise<void> {
  const { type, namespace } = path;
  const method = request.method ?? 'GET';
  if (method === 'GET') {
    sendJson(response, 200, toScale(api.get(type.resource, namespace, name)));
    return;
  }
  const body = await readJson(request);
  if (method === 'PUT') {
    sendJson(response, 200, writeScale(api, type.resource, namespace, name, () => (isRecord(body) ? (body as KubeObject) : toScale({ metadata: {} }))));
    return;
  }
  if (method === 'PATCH') {
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    sendJson(response, 200, writeScale(api, type.resource, namespace, name, patcher(contentType, body)));
    return;
  }
  throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
}
