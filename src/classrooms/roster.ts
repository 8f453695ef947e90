/**
 * A class roster as teachers export it from a spreadsheet: one user a line, `name` or
 * `name,role`. Tolerant of what spreadsheets write (a byte-order mark, CRLF line ends, a header,
 * blank lines, quoted fields); strict about the rest, naming every line it cannot read.
 */

import { isValidUserName } from '../common/account-rules.js';
import { ServiceError } from '../common/errors.js';
import { CLASS_ROLES, type ClassRole } from '../store/schema.js';

/** A class far larger than any lecture hall; more is a file that is not a roster. */
export const MAX_ROSTER_LINES = 5000;

/** One user of the roster. `role` is undefined when the line gives none. */
export interface RosterLine {
  line: number;
  user: string;
  role: ClassRole | undefined;
}

const HEADERS = new Set(['name', 'user', 'name,role', 'user,role']);
/** Problems past this many are counted, not listed: the answer stays readable. */
const LISTED_PROBLEMS = 10;

export function parseRoster(text: string): RosterLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  const parsed: RosterLine[] = [];
  const problems: string[] = [];
  const firstLineOf = new Map<string, number>();
  let headerAllowed = true;
  lines.forEach((raw, index) => {
    const number = index + 1;
    if (raw.trim() === '') return;
    const fields = splitFields(raw);
    if (headerAllowed && fields && HEADERS.has(fields.map((field) => field.toLowerCase()).join(','))) {
      headerAllowed = false;
      return;
    }
    headerAllowed = false;
    const problem = lineProblem(fields);
    if (problem) {
      problems.push(`line ${number}: ${problem}`);
      return;
    }
    const [user = '', role] = fields as string[];
    const earlier = firstLineOf.get(user.toLowerCase());
    if (earlier !== undefined) {
      problems.push(`line ${number}: ${user} is already on line ${earlier}`);
      return;
    }
    firstLineOf.set(user.toLowerCase(), number);
    parsed.push({ line: number, user, role: role === undefined || role === '' ? undefined : (role.toLowerCase() as ClassRole) });
  });
  if (problems.length > 0) {
    const listed = problems.slice(0, LISTED_PROBLEMS).join('; ');
    const more = problems.length > LISTED_PROBLEMS ? `; and ${problems.length - LISTED_PROBLEMS} more` : '';
    throw new ServiceError('invalid', `roster: ${listed}${more}`);
  }
  if (parsed.length > MAX_ROSTER_LINES) throw new ServiceError('invalid', `roster: at most ${MAX_ROSTER_LINES} users; this one has ${parsed.length}`);
  return parsed;
}

function lineProblem(fields: string[] | undefined): string | undefined {
  if (!fields) return 'a quoted field is not closed, or text follows its closing quote';
  if (fields.length > 2) return `expected "name" or "name,role", found ${fields.length} fields`;
  const [user = '', role] = fields;
  if (!isValidUserName(user)) return `${JSON.stringify(user.slice(0, 70))} is not a user name`;
  if (role !== undefined && role !== '' && !(CLASS_ROLES as readonly string[]).includes(role.toLowerCase())) {
    return `role ${JSON.stringify(role.slice(0, 70))} is not one of ${CLASS_ROLES.join(', ')}`;
  }
  return undefined;
}

/** The comma-separated fields of a line, trimmed, with "quoted" fields ("" is a quote); undefined when a quote is malformed. */
function splitFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    while (line[at] === ' ' || line[at] === '\t') at += 1;
    let field: string;
    if (line[at] === '"') {
      let closed = -1;
      let value = '';
      for (let i = at + 1; i < line.length; i += 1) {
        if (line[i] !== '"') value += line[i];
        else if (line[i + 1] === '"') {
          value += '"';
          i += 1;
        } else {
          closed = i;
          break;
        }
      }
      if (closed < 0) return undefined;
      field = value.trim();
      at = closed + 1;
      while (line[at] === ' ' || line[at] === '\t') at += 1;
      if (at < line.length && line[at] !== ',') return undefined;
    } else {
      const comma = line.indexOf(',', at);
      const end = comma < 0 ? line.length : comma;
      field = line.slice(at, end).trim();
      at = end;
    }
    fields.push(field);
    if (at >= line.length) return fields;
    at += 1; // past the comma
  }
}
