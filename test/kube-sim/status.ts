// Errors leave the simulator as Kubernetes `Status` objects with the reasons and wording a real API
// server uses, because clients (client-node, kubectl) branch on `code` and `reason`.

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

const reasonsByCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return reasonsByCode[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = reasonForCode(code),
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `deployments.apps`, `pods`: how the API server names a resource in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError(404, `${qualifiedResource(resource, group)} "${name}" not found`, 'NotFound', {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(409, `${qualifiedResource(resource, group)} "${name}" already exists`, 'AlreadyExists', {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
}

export function conflict(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ` +
      'the object has been modified; please apply your changes to the latest version and try again',
    'Conflict',
    { name, ...(group ? { group } : {}), kind: resource },
  );
}

/** 422 in the API server's shape: `Deployment.apps "x" is invalid: [a: ..., b: ...]`. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const listed = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new ApiError(422, `${qualifiedKind} "${name}" is invalid: ${summary}`, 'Invalid', {
    name,
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}

export function tooOldResourceVersion(requested: string, oldest: number): ApiError {
  return new ApiError(410, `too old resource version: ${requested} (${oldest})`, 'Expired');
}
