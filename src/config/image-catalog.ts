/**
 * The image catalog's shape and its default: what an image serves (its named ports), and for the
 * local runtime, the command that plays the image's part on this machine. A setting
 * (CLASSLAB_IMAGE_CATALOG), so its schema lives here; the runtimes look images up in it with
 * runtime/catalog.ts. The default knows Jupyter, DIGITS, and a small built-in web page that needs
 * nothing but Node.
 */

import { Type, type Static } from 'typebox';
import { PortSpecSchema } from '../common/job-ports.js';
import { HomePathSchema } from './home-path.js';

const LocalCommandSchema = Type.Object({
  /**
   * argv, with placeholders replaced at launch: `{node}` (this Node binary), `{hello}` (the
   * built-in page's script), `{host}`, `{port}`, `{token}`, `{workdir}`, `{datasets}`.
   */
  command: Type.Array(Type.String(), { minItems: 1 }),
  /** Extra environment, with the same placeholders. */
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Path probed for readiness; any HTTP answer below 500 means ready. */
  readyPath: Type.Optional(Type.String()),
});

const CatalogEntrySchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  /** Image patterns: `*` matches any run of characters, a pattern without a tag also matches any tag. */
  match: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  ports: Type.Array(PortSpecSchema),
  /** Path and query appended to each URL, with `{token}` replaced. */
  urlPath: Type.Optional(Type.String()),
  /** Environment for the container (Kubernetes), with `{token}` replaced. */
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  local: Type.Optional(LocalCommandSchema),
  /** Where the image expects its user's home (Jupyter's images: /home/jovyan); a course may say otherwise. */
  homePath: Type.Optional(HomePathSchema),
});

export const ImageCatalogSchema = Type.Array(CatalogEntrySchema);

export type LocalCommand = Static<typeof LocalCommandSchema>;
export type CatalogEntry = Static<typeof CatalogEntrySchema>;
export type ImageCatalog = Static<typeof ImageCatalogSchema>;

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
    homePath: '/home/jovyan',
    local: {
      command: [
        'jupyter',
        'notebook',
        '--no-browser',
        // Sandboxed jobs never run as root; with CLASSLAB_LOCAL_ISOLATION=off on a server run as
        // root, Jupyter would refuse to start without it. It grants nothing by itself.
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
