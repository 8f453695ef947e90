/** The building blocks of settings: a setting's shape, and parsers shared by every area. */

/** A value from the environment (a string) or the config file (any JSON but null). */
export type RawValue = string | number | boolean | object;

export interface Setting<T> {
  env: string;
  description: string;
  default: T;
  parse(raw: RawValue): T;
  /** The config file may give a JSON object or array, not only a scalar. */
  structured?: boolean;
  /**
   * A secret: `<env>_FILE` may name a file that holds it instead (as container images do), so
   * that it need not be in the server's environment, which every process of its user can read.
   */
  secret?: boolean;
}

export function integer(min: number, max: number) {
  return (raw: RawValue): number => {
    const text = String(raw).trim();
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(`must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
}

export function nonEmptyString(raw: RawValue): string {
  const text = String(raw).trim();
  if (text === '') throw new Error('must not be empty');
  return text;
}

export function optionalString(raw: RawValue): string | undefined {
  const text = String(raw);
  return text === '' ? undefined : text;
}

export function boolean(raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`must be true or false, got ${JSON.stringify(raw)}`);
}

