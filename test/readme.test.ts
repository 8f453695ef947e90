/** The README's configuration table: one table, one row for every setting. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settings } from '../src/config/settings.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The lines of the section under `## title`, up to the next heading. */
function section(title: string): string[] {
  const lines = README.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('#'));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Names in a row's first cell; `_CPU_LIMIT` after `CLASSLAB_JOB_CPU_REQUEST` is `CLASSLAB_JOB_CPU_LIMIT`. */
function namesOf(row: string): string[] {
  const cell = row.split('|')[1] ?? '';
  const names = [...cell.matchAll(/`([A-Z_]+)`/g)].map((match) => match[1] as string);
  const first = names[0] ?? '';
  const stem = first.slice(0, first.indexOf('_', 'CLASSLAB_'.length));
  return names.map((name) => (name.startsWith('_') ? `${stem}${name}` : name));
}

describe('README', () => {
  const configuration = section('Configuration');
  const rows = configuration.flatMap((line, index) => (line.startsWith('|') ? [index] : []));

  it('has one configuration table: no line breaks it, so every row is under its header', () => {
    expect(rows.length).toBeGreaterThan(2);
    const [first = 0] = rows;
    expect(rows).toEqual(rows.map((_, offset) => first + offset));
    expect(configuration[first]).toMatch(/^\| variable \| default \| meaning \|$/);
  });

  it('has a row for every setting', () => {
    const documented = new Set(rows.flatMap((index) => namesOf(configuration[index] as string)));
    const missing = Object.values(settings)
      .map((setting) => setting.env)
      .filter((env) => !documented.has(env));
    expect(missing).toEqual([]);
  });
});
