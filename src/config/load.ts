import { readFileSync } from 'node:fs';
import { settings, type Config, type RawValue } from './settings.js';

/** A configuration problem, phrased as the one line the start prints before it stops. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Source = Readonly<Record<string, RawValue | undefined>>;

const settingByEnv = new Map(Object.entries(settings).map(([key, setting]) => [setting.env, key]));
/** `DATABASE_URL_FILE` → the key of DATABASE_URL: secrets may come from files. */
const secretFileKeys = new Set(Object.values(settings).flatMap((setting) => ((setting as { secret?: boolean }).secret ? [`${setting.env}_FILE`] : [])));

/**
 * Defaults, then the `--config` JSON file, then the environment. The file uses the environment
 * variable names as its keys, so there is one vocabulary for both.
 */
export function loadConfig(env: Source = process.env, configFile?: string): Config {
  const file = configFile === undefined ? {} : readConfigFile(configFile);
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const fromEnv = env[setting.env];
    let raw = fromEnv !== undefined ? fromEnv : file[setting.env];
    const secretFile = (setting as { secret?: boolean }).secret ? (env[`${setting.env}_FILE`] ?? file[`${setting.env}_FILE`]) : undefined;
    if (secretFile !== undefined) {
      if (raw !== undefined) throw new ConfigError(`Invalid configuration: set ${setting.env} or ${setting.env}_FILE, not both`);
      raw = readSecretFile(`${setting.env}_FILE`, String(secretFile));
    }
    if (raw === undefined) {
      config[key] = setting.default;
      continue;
    }
    try {
      config[key] = setting.parse(raw);
    } catch (error) {
      const origin = secretFile !== undefined ? ` (in ${setting.env}_FILE ${String(secretFile)})` : fromEnv !== undefined ? '' : ` (in ${configFile})`;
      throw new ConfigError(`Invalid configuration: ${setting.env}${origin} ${(error as Error).message}`);
    }
  }
  return config as Config;
}

/** The file's text without the newline that editors and `echo` leave at its end. */
function readSecretFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${key} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readConfigFile(path: string): Source {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Invalid configuration: --config ${path} cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: --config ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Invalid configuration: --config ${path} must hold a JSON object`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (secretFileKeys.has(key)) continue;
    if (!settingByEnv.has(key)) {
      throw new ConfigError(
        `Invalid configuration: ${key} (in ${path}) is not a setting; known settings are ${[...settingByEnv.keys(), ...secretFileKeys].join(', ')}`,
      );
    }
    const structured = (settings[settingByEnv.get(key) as keyof typeof settings] as { structured?: boolean }).structured === true;
    const scalar = ['string', 'number', 'boolean'].includes(typeof value);
    if (!scalar && !(structured && typeof value === 'object' && value !== null)) {
      throw new ConfigError(`Invalid configuration: ${key} (in ${path}) must be a string, number or boolean`);
    }
  }
  return parsed as Source;
}
