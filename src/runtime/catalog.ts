/**
 * Looking images up in the image catalog (config/image-catalog.ts): which entry serves an image,
 * which images it names, and filling its placeholders.
 */

import type { CatalogEntry, ImageCatalog } from '../config/image-catalog.js';

function globToRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** The image without its tag or digest: `jupyter/base-notebook:latest` → `jupyter/base-notebook`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

/** The first entry whose pattern matches the image, with or without its tag. */
export function findCatalogEntry(catalog: ImageCatalog, image: string): CatalogEntry | undefined {
  const repository = imageRepository(image);
  return catalog.find((entry) =>
    entry.match.some((pattern) => {
      const regexp = globToRegExp(pattern);
      return regexp.test(image) || regexp.test(repository);
    }),
  );
}

/** Images the catalog names exactly (patterns without `*`), to offer in the image list. */
export function catalogImages(catalog: ImageCatalog): string[] {
  return catalog.flatMap((entry) => entry.match.filter((pattern) => !pattern.includes('*')));
}

/** Replaces `{name}` placeholders; an unknown placeholder is left as it is. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
