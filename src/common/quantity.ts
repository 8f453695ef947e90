/**
 * Sizes written as Kubernetes quantities (`10Gi`, `11G`, `10737418240`), as bytes, so that two
 * sizes written differently can be compared: a home grows from 10Gi to 11G, never to 10G.
 */

/** Kubernetes' suffixes of sizes: decimal (k, M, …) and binary (Ki, Mi, …). */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const SIZE = /^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** Bytes of a size such as `20Gi`; undefined when the text is not a positive size Kubernetes would take. */
export function sizeBytes(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Math.ceil(Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] as number));
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}
