/**
 * What the local runtime can run now: catalog entries with a local command whose program is on
 * this machine. Looked up on every call, so that a program installed later shows up at once.
 */

import { isAbsolute } from 'node:path';
import type { CatalogEntry, ImageCatalog } from '../../config/image-catalog.js';
import { catalogImages, findCatalogEntry } from '../catalog.js';
import { resolveCommand } from './host-paths.js';

/** Whether `program` can be started: `{node}` is this Node; a bare name is looked up on PATH, as spawn does. */
export function programFound(program: string, searchPath: string | undefined = process.env.PATH): boolean {
  if (program === '{node}') return true;
  // Filled in per job ({workdir}/…, a path relative to the job's folder): only the launch can tell.
  if (/\{\w+\}/.test(program) || (program.includes('/') && !isAbsolute(program))) return true;
  return resolveCommand(program, searchPath) !== undefined;
}

function isRunnable(entry: CatalogEntry, searchPath: string | undefined): boolean {
  const program = entry.local?.command[0];
  return program !== undefined && programFound(program, searchPath);
}

/** The images the catalog names exactly whose entries can run here now. */
export function runnableImages(catalog: ImageCatalog, searchPath?: string): string[] {
  return [...new Set(catalogImages(catalog.filter((entry) => isRunnable(entry, searchPath))))];
}

/** Why this machine cannot run the image now, in a few words; undefined when it can. */
export function imageReason(catalog: ImageCatalog, image: string, searchPath?: string): string | undefined {
  const entry = findCatalogEntry(catalog, image);
  const program = entry?.local?.command[0];
  if (!entry) return 'no catalog entry matches it';
  if (program === undefined) return `the catalog entry ${JSON.stringify(entry.name)} has no local command`;
  if (!programFound(program, searchPath)) return `its command ${JSON.stringify(program)} was not found on PATH`;
  return undefined;
}

/** Why this machine cannot run the image now, naming the images it can; undefined when it can. */
export function whyImageCannotRun(catalog: ImageCatalog, image: string, searchPath?: string): string | undefined {
  const why = imageReason(catalog, image, searchPath);
  if (why === undefined) return undefined;
  return `uses image ${image}, which the local runtime cannot run (${why}); images it can run: ${runnableImages(catalog, searchPath).join(', ') || 'none'}`;
}

/** Why a job of `gpu` GPUs can never start here, saying which setting hands GPUs out; undefined when it can. */
export function whyGpusCannotRun(gpu: number, handedOut: number): string | undefined {
  if (gpu <= handedOut) return undefined;
  const have = handedOut === 0 ? 'none' : `only ${handedOut}`;
  return `needs ${gpu} GPU(s) and the local runtime hands out ${have}: it gives jobs the GPUs that CLASSLAB_LOCAL_GPUS lists (for example CLASSLAB_LOCAL_GPUS=0,1)`;
}
