/**
 * What the Kubernetes API said when a call failed, in its own words. client-node's ApiException
 * carries the response body as text (a Status object) and a message full of response headers, so
 * the Status message is dug out here and the rest is never shown or logged.
 */

import { ApiException } from '@kubernetes/client-node';

export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null) {
    const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : body.trim().slice(0, 500);
    }
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const { message } = parsed as { message?: unknown };
    if (typeof message === 'string' && message !== '') return message;
  }
  return undefined;
}

/** The API's message (the Status message when there is one), for errors and logs. */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const fromBody = statusMessage(error.body);
    if (fromBody !== undefined) return fromBody;
    return `the Kubernetes API answered HTTP ${error.code}`;
  }
  if (error instanceof Error) return error.message;
  // A watch's ERROR event carries a Status object rather than an Error.
  return statusMessage(error) ?? String(error);
}
