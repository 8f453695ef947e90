import type { FastifyInstance } from 'fastify';
import { BodyParseError, parseEveryBodyWith } from '../http/json-body.js';

/**
 * OAuth endpoints take `application/x-www-form-urlencoded` (RFC 6749 §3.2), and so does an HTML
 * form. A parameter sent twice is refused, as RFC 6749 §3.1 asks.
 */
export function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in form) throw new BodyParseError(`parameter ${name} is sent more than once`);
    if (value.includes('\0')) throw new BodyParseError(`parameter ${name} contains a NUL character`);
    form[name] = value;
  }
  return { ...form };
}

/** In this plugin's context only: elsewhere bodies stay JSON. */
export function acceptForms(app: FastifyInstance): void {
  parseEveryBodyWith(app, parseForm);
}
