import { Random, randomJson, randomNumber, randomString, randomUuid } from './random.js';

/** The part of an OpenAPI 3.0 schema (as /docs/json serves it) that shapes a body. */
export interface Schema {
  type?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
}

/**
 * Strings that mean something here: real ids, and names, tokens and images of this platform. A
 * body built from them gets past validation and reaches the services, where a 5xx or a leak
 * would be. Ids go only where a UUID is asked for: typed into a course's text, another user's job
 * id would show in the public lists, and look like a leak that is not one.
 */
export interface Dictionary {
  ids: readonly string[];
  words: readonly string[];
}

/**
 * A body close to what the route accepts, then bent: a value of the schema's shape (from the
 * dictionary where it fits), with fields dropped, added, retyped or pushed to their limits.
 */
export function bodyFromSchema(random: Random, schema: Schema, dictionary: Dictionary): unknown {
  const value = valueOf(random, schema, dictionary, 0);
  return random.chance(0.6) ? value : bend(random, value);
}

function valueOf(random: Random, schema: Schema, dictionary: Dictionary, depth: number): unknown {
  if (depth > 6) return null;
  if (schema.nullable && random.chance(0.1)) return null;
  if (schema.enum) return random.chance(0.9) ? random.pick(schema.enum) : randomString(random, 20);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) return valueOf(random, random.pick(choices), dictionary, depth);
  switch (schema.type) {
    case 'string':
      return stringOf(random, schema, dictionary);
    case 'integer':
    case 'number': {
      if (random.chance(0.3)) return randomNumber(random);
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? min + 100;
      const whole = random.int(Math.ceil(min), Math.floor(max));
      return schema.type === 'integer' ? whole : whole + random.next();
    }
    case 'boolean':
      return random.chance(0.5);
    case 'array':
      return Array.from({ length: random.int(0, Math.min(schema.maxItems ?? 5, 5)) }, () => valueOf(random, schema.items ?? {}, dictionary, depth + 1));
    case 'object': {
      const object: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if ((schema.required ?? []).includes(key) || random.chance(0.6)) object[key] = valueOf(random, property, dictionary, depth + 1);
      }
      return object;
    }
    default:
      return randomJson(random, depth);
  }
}

function stringOf(random: Random, schema: Schema, dictionary: Dictionary): string {
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u');
  const fits = (text: string) =>
    (pattern === undefined || pattern.test(text)) &&
    text.length >= (schema.minLength ?? 0) &&
    text.length <= (schema.maxLength ?? Infinity) &&
    (schema.format !== 'uuid' || /^[0-9a-f-]{36}$/i.test(text));
  if (random.chance(0.8)) {
    const fitting = (schema.format === 'uuid' ? dictionary.ids : dictionary.words).filter(fits);
    if (fitting.length > 0) return random.pick(fitting);
  }
  if (schema.format === 'uuid' && random.chance(0.7)) return randomUuid(random);
  return randomString(random, Math.min(schema.maxLength ?? 300, 300));
}

/** One change that a careless or hostile client might make. */
function bend(random: Random, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return random.chance(0.5) ? randomJson(random) : [value];
  const object = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(object);
  const key = keys.length > 0 ? random.pick(keys) : 'x';
  switch (random.int(0, 6)) {
    case 0:
      delete object[key];
      break;
    case 1:
      object[key] = randomJson(random);
      break;
    case 2:
      object[randomString(random, 30)] = randomJson(random);
      break;
    case 3:
      object[key] = typeof object[key] === 'string' ? (object[key] as string).repeat(random.int(2, 2000)) : String(object[key]);
      break;
    case 4:
      object[key] = [object[key]];
      break;
    case 5:
      object[key.toUpperCase()] = object[key];
      break;
    default:
      return [object];
  }
  return object;
}
