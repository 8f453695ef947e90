import { setFlagsFromString } from 'node:v8';

/**
 * V8 doubles its young generation each time a scavenge finds it full (`--semi-space-growth-factor`,
 * 2 by default), up to 2 x 16 MB, and keeps it at that size while idle. Loading the modules and
 * starting PGlite grow it to the full 32 MB, which a started, idle server then holds for as long as
 * it stays idle (issue 13's T9), although what a start allocates is mostly modules, code and caches
 * that outlive the young generation anyway. So it does not grow while the program starts, and grows
 * as V8 would once the server is up and a load asks for it. V8 reads the factor at each growth.
 */
export const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

/** Before the program's modules are loaded: parsing them is the first thing that grows it. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Once the server has started: the young generation grows under load as V8 would have it. */
export function letYoungGenerationGrow(): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
}
