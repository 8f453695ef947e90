import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows its young generation by `--semi-space-growth-factor` (2 by default) each time enough
 * survives its scavenges, up to 2 x 16 MB, and keeps it at that size while idle. Loading the modules
 * and starting PGlite grow it to the full 32 MB, which a started, idle server then holds for as long
 * as it stays idle (issue 13's T9), although what a start allocates is mostly modules, code and
 * caches that outlive the young generation anyway. So it does not grow while the program starts.
 * Once the server is up it grows by 4, not 2: from 1 MB to the full size in two steps, about 2 s
 * into a load rather than 3 (measured here), since requests run slower while it is small.
 */
export const GROWTH_FACTOR_WHEN_SERVING = 4;

/** Before the program's modules are loaded: parsing them is the first thing that grows it. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Once the server has started: the young generation grows again when a load asks for it. */
export function letYoungGenerationGrow(): void {
  setFlagsFromString(`--semi-space-growth-factor=${GROWTH_FACTOR_WHEN_SERVING}`);
}
