import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived its last full collection before the
 * next one, in percent. V8's own factor goes up to 4x when collections are quick, which is the case
 * for a server whose live heap is 45 to 60 MB: under a steady load (issue 13's T5) the heap grew to 190
 * to 225 MB before collecting, and the server's RSS went with it. At 1.5x it stays near 105 MB,
 * at the cost of a full collection every few seconds under load, most of it off the main thread.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Set from the program rather than on the command line, so that `npm start`, the bench and every
 * other way of starting the server run with it. V8 reads the setting at each collection.
 */
export function keepHeapGrowthSmall(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
