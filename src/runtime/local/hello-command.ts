/**
 * Where the built-in hello server lives and how to run it. Compiled, it is `hello-server.js`
 * beside this module; from sources (tsx, vitest) it is `hello-server.ts`, which plain Node cannot
 * run, so the child gets the TypeScript loader this project uses.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface HelloScript {
  /** Absolute path of the script, the value of `{hello}`. */
  path: string;
  /** Node options that must come before the script, such as `--import <tsx loader>`. */
  nodeArgs: string[];
}

/** Loader flags whose value is a module to load first, as tsx itself passes them. */
const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/** The loader options this process was started with, kept only if they name absolute modules. */
function currentLoaderArgs(): string[] {
  const args: string[] = [];
  const execArgv = process.execArgv;
  for (let index = 0; index < execArgv.length; index += 1) {
    const arg = execArgv[index] as string;
    const [flag, inlineValue] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!LOADER_FLAGS.has(flag)) continue;
    const value = inlineValue ?? execArgv[(index += 1)];
    // The child runs in its work folder, where a bare name such as `tsx` would not resolve.
    if (value && (value.startsWith('file:') || value.startsWith('/'))) args.push(flag, value);
  }
  return args;
}

/** `--import <absolute tsx loader>`: tsx is a dev dependency, present whenever sources run. */
function tsxLoaderArgs(fromModule: string): string[] {
  const loaderPath = createRequire(fromModule).resolve('tsx');
  return ['--import', pathToFileURL(loaderPath).href];
}

export function resolveHelloScript(moduleUrl: string = import.meta.url): HelloScript {
  const compiled = fileURLToPath(new URL('./hello-server.js', moduleUrl));
  if (moduleUrl.endsWith('.js') && existsSync(compiled)) return { path: compiled, nodeArgs: [] };
  const source = fileURLToPath(new URL('./hello-server.ts', moduleUrl));
  if (!existsSync(source)) throw new Error(`the built-in hello server is missing: neither ${compiled} nor ${source} exists`);
  const inherited = currentLoaderArgs();
  const usesTsx = inherited.some((arg) => arg.includes('/tsx/'));
  return { path: source, nodeArgs: usesTsx ? inherited : tsxLoaderArgs(moduleUrl) };
}
