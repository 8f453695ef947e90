/** The identity service's status codes, as identity-service-api.md lists them, and 40029. */
export const Status = {
  Unknown: 10000,
  Ok: 20001,
  UserCreated: 20002,
  UserDeleted: 20003,
  UserRoleAdded: 20004,
  RoleCreated: 20005,
  RoleDeleted: 20006,
  TokenRenewed: 20007,
  TokenCreated: 20008,
  TokenInvalidated: 20009,
  TokenRoleOk: 20010,
  InvalidArgument: 40011,
  UserAlreadyExisting: 40012,
  UserNotFound: 40013,
  UserPasswordNotMatch: 40014,
  UserRoleAlreadyExisting: 40015,
  RoleAlreadyExisting: 40016,
  RoleNotFound: 40017,
  TokenNotFound: 40018,
  TokenExpired: 40019,
  TokenIsInvalid: 40020,
  TokenRoleNotFound: 40021,
  /** classlab's own, outside the spec's list: wrong passwords locked a user name or an address. */
  TooManyAttempts: 40029,
  Internal: 50000,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

export const statusMessage: Record<StatusCode, string> = {
  10000: 'unknown',
  20001: 'ok',
  20002: 'user created',
  20003: 'user deleted',
  20004: 'user role added',
  20005: 'role created',
  20006: 'role deleted',
  20007: 'token renewed',
  20008: 'token created',
  20009: 'token invalidated',
  20010: 'token role ok',
  40011: 'invalid argument',
  40012: 'user already existing',
  40013: 'user not found',
  40014: 'user password not match',
  40015: 'user role already existing',
  40016: 'role already existing',
  40017: 'role not found',
  40018: 'token not found',
  40019: 'token expired',
  40020: 'token is invalid',
  40021: 'token role not found',
  40029: 'too many attempts',
  50000: 'internal',
};

/** The spec allows only 200, 400 and 500. */
export function httpStatusOf(status: StatusCode): 200 | 400 | 500 {
  if (status >= 20000 && status < 30000) return 200;
  if (status >= 40000 && status < 50000) return 400;
  return 500;
}

/**
 * A refusal by the identity service. `status` is the contract; `detail` explains it to people.
 * `conflict` marks refusals caused by the state of things (running jobs, the last admin) rather
 * than by the input, which the spec's codes do not tell apart.
 */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  readonly conflict: boolean;
  /** When the caller may try again, for TooManyAttempts. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly status: StatusCode,
    readonly detail?: string,
    options: { conflict?: boolean; retryAfterSeconds?: number } = {},
  ) {
    super(detail ?? statusMessage[status]);
    this.conflict = options.conflict ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
