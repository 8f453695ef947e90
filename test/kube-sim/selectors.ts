// Label and field selectors with the syntax and the 400 errors of the API server.
import { ApiError } from './status.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export type Selector = (labels: Record<string, string>) => boolean;

/** Splits on commas that are not inside `(...)`, so `a in (x,y),b` gives two terms. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim() !== '') terms.push(current.trim());
  return terms;
}

function parseTerm(term: string, selector: string): Requirement {
  const setMatch = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const [, key = '', op, values = ''] = setMatch;
    return { key, op: op === 'in' ? 'in' : 'notin', values: values.split(',').map((v) => v.trim()) };
  }
  const equality = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s=!]*)$/.exec(term);
  if (equality) {
    const [, key = '', op, value = ''] = equality;
    return { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (/^![^\s!=]+$/.test(term)) return { key: term.slice(1), op: 'doesnotexist' };
  if (/^[^\s!=()]+$/.test(term)) return { key: term, op: 'exists' };
  throw new ApiError(400, `unable to parse requirement: found '${term}', expected: identifier (in selector "${selector}")`);
}

function matches(requirement: Requirement, labels: Record<string, string>): boolean {
  const value = labels[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return value !== undefined;
    case 'doesnotexist':
      return value === undefined;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
  }
}

export function parseLabelSelector(selector: string | undefined): Selector {
  if (!selector || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map((term) => parseTerm(term, selector));
  return (labels) => requirements.every((requirement) => matches(requirement, labels));
}

/** A LabelSelector object as in Deployment.spec.selector. */
export function labelSelectorObjectMatches(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] },
  labels: Record<string, string>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const op = expression.operator.toLowerCase();
    const requirement: Requirement =
      op === 'in' || op === 'notin'
        ? { key: expression.key, op, values: expression.values ?? [] }
        : { key: expression.key, op: op === 'exists' ? 'exists' : 'doesnotexist' };
    if (!matches(requirement, labels)) return false;
  }
  return true;
}

function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (path === 'source' && typeof current === 'object' && current !== null) {
    return String((current as Record<string, unknown>)['component'] ?? '');
  }
  return current === undefined || current === null ? '' : String(current);
}

export type FieldSelector = (object: KubeObject) => boolean;

export function parseFieldSelector(selector: string | undefined, type: ResourceType): FieldSelector {
  if (!selector || selector.trim() === '') return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...type.selectableFields]);
  const terms = selector.split(',').map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!match) throw new ApiError(400, `invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = match;
    if (!allowed.has(field)) {
      throw new ApiError(400, `field label not supported: ${field}`);
    }
    return { field, negate: op === '!=', value };
  });
  return (object) => terms.every((term) => (fieldValue(object, term.field) === term.value) !== term.negate);
}
