import { currentToken, endSession, refreshSession } from './session';

/** A refusal from the API, in its own words: `{"error":true,"message":...}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** 0 when the server could not be reached at all. */
    readonly status: number,
    message: string,
    /** Seconds, from a 429's Retry-After. */
    readonly retryAfter?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The session ended during the call; the app is already showing the sign-in page. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
}

/** The bearer check's refusals (DESIGN.md's auth table): 401 without a token, 403 for a bad one. */
const TOKEN_REFUSALS = new Set(['Invalid API token', 'Access token expired']);

export function isTokenRefusal(status: number, message: string): boolean {
  return status === 401 || (status === 403 && TOKEN_REFUSALS.has(message));
}

function retryAfterOf(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.round((at - Date.now()) / 1000));
}

export interface CallOptions {
  body?: unknown;
  /** Sends `body` (a string) as it is, with this type: a CSV roster is not JSON. */
  contentType?: string;
  signal?: AbortSignal;
}

async function send(method: string, path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const raw = options.contentType !== undefined && typeof options.body === 'string';
  if (options.body !== undefined) headers['Content-Type'] = raw ? (options.contentType as string) : 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: raw ? (options.body as string) : JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, 'unreachable');
  }
}

/**
 * Calls the API with the session's token. A refused token is renewed once from the cookie; when
 * that fails too, the session ends with the server's message and the sign-in page shows it.
 */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await send(method, path, options);
    if (response.ok) return response;
    const body = (await response.json().catch(() => undefined)) as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
    if (isTokenRefusal(response.status, message)) {
      if (attempt === 0) {
        if (await refreshSession()) continue;
        // The refresh has ended the session with the server's own words.
        throw new SessionEndedError(message);
      }
      endSession(message);
      throw new SessionEndedError(message);
    }
    throw new ApiError(response.status, message, retryAfterOf(response), body);
  }
}

export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const response = await call(method, path, options);
  return (await response.json()) as T;
}
