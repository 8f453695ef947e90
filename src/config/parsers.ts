/** The building blocks of settings: a setting's shape, and parsers shared by every area. */

import { isIP } from 'node:net';

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
  if (text === '') throw new Error(`must not be empty, got ${JSON.stringify(raw)}`);
  return text;
}

const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * An IP address (`[::1]` loses its brackets) or a DNS host name: what a listener or a URL can
 * use. A URL or a host with a port is refused here, at start, not when it is first used.
 */
export function hostAddress(raw: RawValue): string {
  const text = String(raw).trim();
  const bare = /^\[(.*)\]$/.exec(text)?.[1] ?? text;
  if (isIP(bare) !== 0 || (bare === text && HOST_NAME.test(text))) return bare;
  throw new Error(`must be an IP address or a host name such as 0.0.0.0 or lab.example.edu, got ${JSON.stringify(raw)}`);
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

