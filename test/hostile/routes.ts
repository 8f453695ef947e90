import type { Json } from '../support/platform.js';
import type { Schema } from './from-schema.js';
import { encodeAny } from './random.js';

/** One operation of an OpenAPI document, as the suite exercises it. */
export interface Operation {
  method: 'GET' | 'POST' | 'DELETE';
  /** The documented path, with `{name}` parameters. */
  path: string;
  /** Whether the document asks for a bearer token (an optional one does not count). */
  protected: boolean;
  /** The body's schema; for the identity service's GETs, which read a JSON body, their query's. */
  body?: Schema;
  /** Whether it takes a form (the OAuth endpoints), not JSON. */
  form: boolean;
}

/**
 * Every operation of a document. Bodies are what requestBody says; the identity service's GETs
 * read their query from a JSON body, as its spec sends them, so their query is their body.
 */
export function operationsOf(doc: Json): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]): Operation => {
      const security = (operation.security ?? []) as Array<Record<string, unknown>>;
      const content = operation.requestBody?.content as Record<string, { schema: Schema }> | undefined;
      const query = ((operation.parameters ?? []) as Json[]).filter((parameter) => parameter.in === 'query');
      const isIdentityGet = method === 'get' && !path.startsWith('/v1/') && !path.startsWith('/oauth') && query.length > 0;
      const body: Schema | undefined = content
        ? (content['application/json'] ?? Object.values(content)[0])?.schema
        : isIdentityGet
          ? { type: 'object', required: query.filter((p) => p.required).map((p) => p.name as string), properties: Object.fromEntries(query.map((p) => [p.name, p.schema])) }
          : undefined;
      return {
        method: method.toUpperCase() as Operation['method'],
        path,
        protected: security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0),
        ...(body ? { body } : {}),
        form: path.startsWith('/oauth/') && method === 'post',
      };
    }),
  );
}

/** Whether a request to it carries a body: any method but GET, and the identity GETs above. */
export function takesBody(operation: Operation): boolean {
  return operation.body !== undefined || operation.method !== 'GET';
}

/** A URL of the path, with each parameter filled in by `value`. */
export function urlOf(path: string, value: (name: string) => string): string {
  return path.replace(/\{(\w+)\}/g, (_whole, name: string) => encodeAny(value(name)));
}
