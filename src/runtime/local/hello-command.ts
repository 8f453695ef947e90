/**
 * Where the Node scripts the local runtime runs as processes live (the built-in hello server, the
 * spawner) and how to run them. Compiled, a script is `<name>.js` beside this module; from sources
 * (tsx, vitest) it is `<name>.ts`, which plain Node cannot run, so the child gets the TypeScript
 * loader this project uses.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface NodeScript {
  /** Absolute path of the script (for the hello server, the value of `{hello}`). */
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

export function resolveHelloScript(moduleUrl: string = import.meta.url): NodeScript {
  return resolveNodeScript('hello-server', 'the built-in hello server', moduleUrl);
}

/** The script `<name>` beside this module, compiled or from sources; `what` names it in errors. */
export function resolveNodeScript(name: string, what: string, moduleUrl: string = import.meta.url): NodeScript {
  const compiled = fileURLToPath(new URL(`./${name}.js`, moduleUrl));
  if (moduleUrl.endsWith('.js') && existsSync(compiled)) return { path: compiled, nodeArgs: [] };
  const source = fileURLToPath(new URL(`./${name}.ts`, moduleUrl));
  if (!existsSync(source)) throw new Error(`${what} is missing: neither ${compiled} nor ${source} exists`);
  const inherited = currentLoaderArgs();
  const usesTsx = inherited.some((arg) => arg.includes('/tsx/'));
  return { path: source, nodeArgs: usesTsx ? inherited : tsxLoaderArgs(moduleUrl) };
}
