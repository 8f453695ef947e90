import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { isAdmin } from '../auth/permissions.js';
import type { HttpLimits } from '../config/http-settings.js';
import { bearerToken } from '../http/auth.js';
import { registerDocs } from '../http/docs.js';
import { HttpError } from '../http/envelope.js';
import { classifyFailure } from '../http/errors.js';
import { readGetBody } from '../http/json-body.js';
import { createHttpApp, pathOf, type HttpApp } from '../http/server.js';
import type { RegistrationLimit } from './registration-limit.js';
import { holdUntilStarted } from '../http/startup.js';
import { PASSWORD_MAX_LENGTH, USER_NAME_RULE } from '../common/account-rules.js';
import type { IdentityService } from './service.js';
import { httpStatusOf, IdentityError, Status, statusMessage, type StatusCode } from './status.js';

export interface IdentityAppOptions {
  identity: IdentityService;
  logger: FastifyBaseLogger;
  /** When off, POST /user needs an admin's bearer token. */
  selfRegistration: boolean;
  /** Self-registrations per address, shared with the v1 register route. */
  registrations?: RegistrationLimit;
  /** Requests wait for it: the end of the server's start-up, when the admin exists. */
  startup?: Promise<void>;
  /** Request timeouts and the connection limit; their defaults when absent. */
  limits?: HttpLimits;
}

/** Loose on purpose: a bad name is the service's 40011, with a reason, not a schema error. */
const UserName = Type.String({ maxLength: 256, description: USER_NAME_RULE });
const Password = Type.String({ maxLength: PASSWORD_MAX_LENGTH, description: 'the password' });
const RoleName = Type.String({ minLength: 1, maxLength: 64 });
const Token = Type.String({ minLength: 1, maxLength: 512 });

const StatusFields = { status: Type.Integer(), message: Type.String() };
const Failure = Type.Object({
  ...StatusFields,
  data: Type.Optional(
    Type.Object({
      reason: Type.String(),
      retry_after: Type.Optional(Type.Integer({ description: 'with 40029 too many attempts: seconds until the user name or address may try again' })),
    }),
  ),
});
const responses = () => ({ 200: Type.Object(StatusFields), 400: Failure, 500: Failure });
const responsesWith = <Data extends TSchema>(data: Data) => ({ 200: Type.Object({ ...StatusFields, data }), 400: Failure, 500: Failure });

const answer = (status: StatusCode) => ({ status, message: statusMessage[status] });

/**
 * The identity service of identity-service-api.md: exact paths, bodies and status codes, and only
 * HTTP 200, 400 and 500.
 */
export async function buildIdentityApp({ identity, logger, selfRegistration, registrations, startup, limits }: IdentityAppOptions): Promise<HttpApp> {
  const app = createHttpApp(
    logger,
    (_error, request, reply) => sendIdentityError(new HttpError(400, `malformed URL ${pathOf(request.url)}`), request, reply),
    // Only 200, 400 and 500 are the identity service's: what Node refuses is an invalid argument.
    (_statusCode, message) => ({ statusCode: 400, body: { ...answer(Status.InvalidArgument), data: { reason: message } } }),
    limits,
  );
  if (startup) holdUntilStarted(app, startup);
  app.setErrorHandler(sendIdentityError);
  // An unknown function is the spec's 10000 "unknown"; still a 400, since the caller erred.
  app.setNotFoundHandler((request, reply) => {
    const reason = `no such function: ${request.method} ${pathOf(request.url)}`;
    void reply.code(400).send({ ...answer(Status.Unknown), data: { reason } });
  });
  await registerDocs(app, {
    title: 'classlab identity service',
    description: 'Users, roles and tokens. Replies are `{status, message, data}`; HTTP status is 200, 400 or 500.',
  });

  /**
   * Role management needs an admin's bearer token. No token, or another role's, is 40021; a
   * token that is no good says why, as everywhere else: 40020 invalid, 40018 not found, 40019
   * expired.
   */
  async function requireAdmin(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const adminRequired = new IdentityError(Status.TokenRoleNotFound, 'an admin bearer token is required');
    if (header === undefined) throw adminRequired;
    const token = bearerTokenIfAny(header);
    if (token === undefined) throw new IdentityError(Status.TokenIsInvalid, 'the Authorization header must be Bearer <token>');
    if (!isAdmin(await identity.tokenOwner(token))) throw adminRequired;
  }

  /**
   * The spec sends JSON bodies with GET, which Fastify neither reads nor validates: read it here
   * and validate it as the query, so that query parameters work too.
   */
  async function bodyAsQuery(request: FastifyRequest): Promise<void> {
    const body = await readGetBody(request);
    if (body !== undefined) request.query = body;
  }

  const tags = ['identity'];
  /** OpenAPI: what requireAdmin asks for, and the bearer token that AuthenticateUser may renew. */
  type Security = Array<Record<string, string[]>>;
  const adminOnly: Security = [{ bearer: [] }];
  const bearerOptional: Security = [{}, { bearer: [] }];
  const Credentials = Type.Object({ user_name: UserName, password: Password });
  // What creates a stored record refuses properties it would not store.
  const strict = { additionalProperties: false } as const;
  const NewUser = Type.Object(Credentials.properties, strict);
  const UserRole = Type.Object({ user_name: UserName, role_name: RoleName }, strict);
  const Role = Type.Object({ role_name: RoleName });
  const NewRole = Type.Object(Role.properties, strict);
  const TokenBody = Type.Object({ token: Token });

  const createUserDoc = selfRegistration ? {} : { security: adminOnly };
  app.post('/user', { schema: { tags, summary: 'CreateUser (a student)', ...createUserDoc, body: NewUser, response: responses() } }, async (request) => {
    if (!selfRegistration) await requireAdmin(request);
    else registrations?.admit(request.ip);
    await identity.createUser(request.body.user_name, request.body.password, ['student']);
    return answer(Status.UserCreated);
  });

  app.delete('/user', { schema: { tags, summary: 'DeleteUser (proves the password; wrong ones are limited like AuthenticateUser\'s)', body: Credentials, response: responses() } }, async (request) => {
    await identity.deleteUser(request.body.user_name, request.body.password, request.ip);
    return answer(Status.UserDeleted);
  });

  app.post('/user/role', { schema: { tags, summary: 'AddUserRole (admin)', security: adminOnly, body: UserRole, response: responses() } }, async (request) => {
    await requireAdmin(request);
    await identity.addUserRole(request.body.user_name, request.body.role_name);
    return answer(Status.UserRoleAdded);
  });

  const IssuedToken = Type.Object({ token: Type.String(), toke: Type.String(), expired_at_in_usec: Type.Number() });
  app.post(
    '/user/auth',
    {
      schema: {
        tags,
        summary: 'AuthenticateUser: a new token (20008), or the presented bearer token extended (20007)',
        description: 'Wrong passwords are limited per user name and per address: once locked, 40029 too many attempts, with data.retry_after in seconds.',
        security: bearerOptional,
        body: Credentials,
        response: responsesWith(IssuedToken),
      },
    },
    async (request) => {
      const presented = bearerTokenIfAny(request.headers.authorization);
      const issued = await identity.authenticate(request.body.user_name, request.body.password, presented, request.ip);
      return {
        ...answer(issued.renewed ? Status.TokenRenewed : Status.TokenCreated),
        // `toke` is the spec's own spelling; `token` is what a reader expects.
        data: { token: issued.token, toke: issued.token, expired_at_in_usec: issued.expiresAt.getTime() * 1000 },
      };
    },
  );

  app.post('/role', { schema: { tags, summary: 'CreateRole (admin)', security: adminOnly, body: NewRole, response: responses() } }, async (request) => {
    await requireAdmin(request);
    await identity.createRole(request.body.role_name);
    return answer(Status.RoleCreated);
  });

  app.delete('/role', { schema: { tags, summary: 'DeleteRole (admin)', security: adminOnly, body: Role, response: responses() } }, async (request) => {
    await requireAdmin(request);
    await identity.deleteRole(request.body.role_name);
    return answer(Status.RoleDeleted);
  });

  app.delete('/token', { schema: { tags, summary: 'Invalidate', body: TokenBody, response: responses() } }, async (request) => {
    await identity.invalidate(request.body.token);
    return answer(Status.TokenInvalidated);
  });

  app.get(
    '/token/role',
    {
      preValidation: bodyAsQuery,
      schema: {
        tags,
        summary: 'CheckRole (fields in a JSON body, as the spec sends them, or in the query)',
        querystring: Type.Object({ token: Token, role_name: RoleName }),
        response: responses(),
      },
    },
    async (request) => {
      await identity.checkRole(request.query.token, request.query.role_name);
      return answer(Status.TokenRoleOk);
    },
  );

  const TokenRoles = Type.Object({ token: Type.String(), user_name: Type.String(), roles: Type.Array(Type.String()) });
  app.get(
    '/token/roles',
    {
      preValidation: bodyAsQuery,
      schema: {
        tags,
        summary: 'AllRoles (the token in a JSON body, as the spec sends it, or in the query)',
        querystring: TokenBody,
        response: responsesWith(TokenRoles),
      },
    },
    async (request) => {
      const { token } = request.query;
      const owner = await identity.tokenOwner(token);
      return { ...answer(Status.Ok), data: { token, user_name: owner.name, roles: [...owner.roles] } };
    },
  );

  return app;
}

/** The bearer token of a header, or undefined when there is none or it is not Bearer. */
function bearerTokenIfAny(header: string | undefined): string | undefined {
  try {
    return bearerToken(header);
  } catch {
    return undefined;
  }
}

function sendIdentityError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof IdentityError) {
    const retryAfter = error.retryAfterSeconds === undefined ? {} : { retry_after: error.retryAfterSeconds };
    void reply.code(httpStatusOf(error.status)).send({
      ...answer(error.status),
      ...(error.detail ? { data: { reason: error.detail, ...retryAfter } } : {}),
    });
    return;
  }
  const failure = classifyFailure(error);
  if (failure.kind === 'internal' || (failure.kind === 'refused' && failure.statusCode >= 500)) {
    request.log.error({ err: error }, 'identity request failed');
    void reply.code(500).send({ ...answer(Status.Internal), data: { reason: failure.detail } });
    return;
  }
  void reply.code(400).send({ ...answer(Status.InvalidArgument), data: { reason: failure.detail } });
}
