import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/**
 * Says what is wrong in words a user can act on: the allowed values of an enum, or a pattern's
 * `description` instead of the regular expression. Needs Ajv's `verbose` for `parentSchema`.
 */
export function describeValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (!first) return new Error(`${dataVar} is invalid`);
  const where = `${dataVar}${first.instancePath}`;
  const params = first.params as Record<string, unknown>;
  const schema = (first as { parentSchema?: { description?: string } }).parentSchema;
  switch (first.keyword) {
    case 'enum':
      return new Error(`${where} must be one of ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'pattern':
    case 'format':
      return new Error(schema?.description ? `${where} must be ${schema.description}` : `${where} ${first.message}`);
    case 'additionalProperties':
      return new Error(`${where} must not have property ${String(params.additionalProperty)}`);
    default:
      return new Error(`${where} ${first.message}`);
  }
}
