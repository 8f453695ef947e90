import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** How a listener phrases an error in its own envelope: the HTTP status it sends, and the body. */
export type ClientErrorAnswer = (statusCode: number, message: string) => { statusCode: number; body: unknown };

/**
 * Answers what Node refuses before any route sees it (a URL and headers over its header limit, a
 * request that timed out, bytes that are not HTTP) in the listener's envelope. The error itself is
 * not logged: it carries the raw request, which may hold secrets.
 */
export function clientErrorHandler(answer: ClientErrorAnswer): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const { statusCode, body } = answer(...describe(error.code));
      const payload = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      );
    }
    socket.destroy();
  };
}

function describe(code: string | undefined): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, `Request header fields too large: the URL and headers may hold ${maxHeaderSize / 1024} KB together`];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request timeout'];
  return [400, 'Malformed HTTP request'];
}
