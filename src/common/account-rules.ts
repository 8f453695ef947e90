/** What makes a user name, role name or password acceptable: shared by the CLI, config and APIs. */

/** User names may be e-mail-like (`jimmy@nchc`), as in the spec's examples. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const USER_NAME_RULE =
  '1 to 64 characters: letters, digits, ".", "_", "@" and "-", starting with a letter or digit';

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const ROLE_NAME_RULE = '1 to 32 characters: lowercase letters, digits, "_" and "-", starting with a letter';

/** The upper bound keeps one request from making argon2 hash megabytes. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

export const BUILT_IN_ROLES = ['admin', 'teacher', 'student'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** User ids are UUIDs. */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

export function isValidUserName(name: string): boolean {
  return USER_NAME_PATTERN.test(name);
}

/** Names are kept as typed but compared regardless of case: `Admin` is `admin`. */
export function sameUserName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function isValidRoleName(name: string): boolean {
  return ROLE_NAME_PATTERN.test(name);
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}
