/** Small HTTP GETs to a job's own server: the readiness probe and the activity question. */

import { get } from 'node:http';

/** The status code of a GET, or undefined when nothing answered within the timeout. */
export function probeStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/**
 * `last_activity` from `GET /api/status`, which Jupyter and the hello server both answer.
 * Jupyter wants the job's token; it goes in a header so it never lands in an access log's URL.
 */
export function fetchLastActivity(origin: string, token: string, timeoutMs: number): Promise<Date | undefined> {
  return new Promise((resolve) => {
    const request = get(`${origin}/api/status`, { timeout: timeoutMs, headers: { authorization: `token ${token}`, accept: 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 64 * 1024) request.destroy();
        else chunks.push(chunk);
      });
      response.on('error', () => resolve(undefined));
      response.on('close', () => resolve(undefined));
      response.on('end', () => {
        if (response.statusCode !== 200) return resolve(undefined);
        resolve(parseLastActivity(Buffer.concat(chunks).toString('utf8')));
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

function parseLastActivity(body: string): Date | undefined {
  try {
    const value = (JSON.parse(body) as { last_activity?: unknown }).last_activity;
    if (typeof value !== 'string') return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  } catch {
    return undefined;
  }
}
