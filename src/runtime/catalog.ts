/**
 * The image catalog: what an image serves (its named ports), and for the local runtime, the
 * command that plays the image's part on this machine. Configurable; the default below knows
 * Jupyter, DIGITS, and a small built-in web page that needs nothing but Node.
 */

import type { PortSpec } from '../common/job-ports.js';

export interface LocalCommand {
  /**
   * argv, with placeholders replaced at launch: `{node}` (this Node binary), `{hello}` (the
   * built-in page's script), `{host}`, `{port}`, `{token}`, `{workdir}`, `{datasets}`.
   */
  command: string[];
  /** Extra environment, with the same placeholders. */
  env?: Record<string, string>;
  /** Path probed for readiness; any HTTP answer below 500 means ready. */
  readyPath?: string;
}

export interface CatalogEntry {
  name: string;
  /** Image patterns: `*` matches any run of characters, a pattern without a tag also matches any tag. */
  match: string[];
  ports: PortSpec[];
  /** Path and query appended to each URL, with `{token}` replaced. */
  urlPath?: string;
  /** Environment for the container (Kubernetes), with `{token}` replaced. */
  env?: Record<string, string>;
  local?: LocalCommand;
}

export type ImageCatalog = CatalogEntry[];

export const DEFAULT_CATALOG: ImageCatalog = [
  {
    name: 'hello',
    match: ['classlab/hello'],
    ports: [{ name: 'web', port: 8080 }],
    local: { command: ['{node}', '{hello}', '--host', '{host}', '--port', '{port}'], readyPath: '/healthz' },
  },
  {
    name: 'jupyter',
    match: ['jupyter/base-notebook', 'jupyter/*', 'quay.io/jupyter/*', '*jupyter*'],
    ports: [{ name: 'jupyter', port: 8888 }],
    urlPath: '/?token={token}',
    env: { JUPYTER_TOKEN: '{token}' },
    local: {
      command: [
        'jupyter',
        'notebook',
        '--no-browser',
        // Jupyter refuses to start as root without it, and lab machines and CI often run the
        // server as root; the server's user is already the jobs' user, so it adds no power.
        '--allow-root',
        '--ip={host}',
        '--port={port}',
        '--notebook-dir={workdir}',
      ],
      env: { JUPYTER_TOKEN: '{token}' },
      readyPath: '/api',
    },
  },
  {
    // Framework images serve Jupyter too, but a notebook on this machine would not be them: no
    // local command, so the local runtime neither offers nor launches them.
    name: 'frameworks',
    match: ['tensorflow/tensorflow', 'pytorch/pytorch', 'nvcr.io/nvidia/pytorch', 'nvcr.io/nvidia/tensorflow'],
    ports: [{ name: 'jupyter', port: 8888 }],
    urlPath: '/?token={token}',
    env: { JUPYTER_TOKEN: '{token}' },
  },
  {
    name: 'digits',
    match: ['nvidia/digits', '*digits*'],
    ports: [{ name: 'digits', port: 5000 }],
  },
];

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
