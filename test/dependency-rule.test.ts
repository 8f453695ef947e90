import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Lower layers never import higher ones, so each layer can be read, tested and changed without
 * the ones above it. A source file belongs to a module: its folder under src/ (src/jobs/…: jobs),
 * or, for a file at the top of src/, its name (main.ts: main). LAYERS lists the modules from the
 * bottom up. A file may import its own module and the modules of lower layers; never a module of
 * its own layer (peers stay independent) nor one above.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['common'], // helpers and the shapes every layer shares: account rules, job ports
  ['config'], // every setting, parsed once at start (the image catalog's shape and default among them)
  ['store', 'runtime'], // the database and where jobs run: neither knows the other
  ['identity'], // users, roles, tokens
  ['auth'], // token verification and permission rules, over identity
  ['courses', 'homes', 'classrooms'], // homes: users' persistent homes, which launches make and mount; classrooms: members, windows, and their rules, which jobs reach through interfaces main wires
  ['jobs', 'cluster', 'health', 'usage'], // services that no other service calls
  ['http'], // the generic Fastify layer: envelope, errors, bearer header, docs, metrics, limits
  ['oauth'], // OAuth2 provider, proxy and sign-in pages, on http
  ['services'], // the Services interface: everything routes may call
  ['routes', 'identity-http'], // the HTTP APIs: platform routes; the identity service's routes
  ['api-app'], // assembles the platform API from http, routes and oauth
  ['main'], // wiring: config, store, services, listeners
  ['cli'], // the classlab command, over main
];

/**
 * Files whose module is not their folder, each with why. Kept short: a file listed here is one
 * whose folder holds code of two layers.
 */
const PLACED_ELSEWHERE: Readonly<Record<string, { module: string; why: string }>> = {
  'identity/http.ts': {
    module: 'identity-http',
    why: "the identity service's own HTTP API (its routes and app) sits above http, as routes/ does",
  },
};

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function layerOf(module: string): number | undefined {
  const index = LAYERS.findIndex((layer) => layer.includes(module));
  return index === -1 ? undefined : index;
}

/** The module of a file given relative to src/ (`jobs/service.ts`, `main.ts`). */
function moduleOf(file: string): string {
  const placed = PLACED_ELSEWHERE[file];
  if (placed) return placed.module;
  const [first, ...rest] = file.split('/');
  return rest.length === 0 ? (first ?? '').replace(/\.ts$/, '') : (first ?? '');
}

/** Relative specifiers of static imports, re-exports, side-effect imports and dynamic imports. */
function relativeImports(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  return [...source.matchAll(pattern)].map((match) => match[2] as string);
}

interface SourceFile {
  file: string;
  imports: string[];
}

/** One line per import that points up or sideways, naming the file, the import and the rule. */
function violations(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const { file, imports } of files) {
    const from = moduleOf(file);
    for (const specifier of imports) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
      const to = moduleOf(target);
      if (to === from) continue;
      const fromLayer = layerOf(from);
      const toLayer = layerOf(to);
      if (fromLayer === undefined || toLayer === undefined || toLayer >= fromLayer) {
        found.push(`src/${file} imports ${specifier}: ${from} (layer ${fromLayer ?? '?'}) may not import ${to} (layer ${toLayer ?? '?'})`);
      }
    }
  }
  return found;
}

function sourceFiles(): SourceFile[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => path.split('\\').join('/'))
    .map((file) => ({ file, imports: relativeImports(readFileSync(join(SRC, file), 'utf8')) }));
}

describe('dependency rule', () => {
  it('has no import from a lower layer into a higher one, nor between peers', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });

  it('places every module of src/ in a layer', () => {
    const unplaced = [...new Set(sourceFiles().map(({ file }) => moduleOf(file)))].filter((module) => layerOf(module) === undefined);
    expect(unplaced).toEqual([]);
  });

  it('lists only files that exist as placed elsewhere', () => {
    const files = new Set(sourceFiles().map(({ file }) => file));
    expect(Object.keys(PLACED_ELSEWHERE).filter((file) => !files.has(file))).toEqual([]);
  });

  it('catches an import that points up, sideways between peers, or through a dynamic import', () => {
    const found = violations([
      { file: 'store/schema.ts', imports: relativeImports("import type { PortSpec } from '../runtime/types.js';") },
      { file: 'config/settings.ts', imports: relativeImports("const rules = await import('../identity/rules.js');") },
      { file: 'http/api.ts', imports: relativeImports("export { v1Routes } from '../routes/v1/index.js';") },
      { file: 'jobs/service.ts', imports: relativeImports("import {\n  x,\n} from '../store/store.js';\nimport './events.js';") },
    ]);
    // Which imports were caught; the messages go on to name both modules and their layers.
    expect(found.map((line) => line.split(':')[0])).toEqual([
      'src/store/schema.ts imports ../runtime/types.js',
      'src/config/settings.ts imports ../identity/rules.js',
      'src/http/api.ts imports ../routes/v1/index.js',
    ]);
  });
});
