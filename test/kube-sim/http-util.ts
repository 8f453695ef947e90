// Small helpers for node:http: JSON in, JSON out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './status.js';

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendError(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.code, error.toStatus());
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBody(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, `the body of the request was in an unknown format - accepted media types include: application/json: ${(error as Error).message}`, 'BadRequest');
  }
}
