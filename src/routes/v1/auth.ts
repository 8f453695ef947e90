import { Type } from 'typebox';
import { isAdmin } from '../../auth/permissions.js';
import { ServiceError } from '../../common/errors.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, HttpError, MessageEnvelope, PARSE_FAILURE } from '../../http/envelope.js';
import { absentBodyIsEmpty } from '../../http/json-body.js';
import { PasswordSchema, UserNameSchema } from '../../identity/schemas.js';
import { isUuid, sameUserName } from '../../common/account-rules.js';
import type { UserRef } from '../../identity/service.js';
import { IdentityError, Status } from '../../identity/status.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';

const tags = ['auth'];

/** The draft's account routes, on the same store as the identity service. */
export async function authRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { identity, policy } = services;

  app.post(
    '/auth/register',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Create a student account',
        body: Type.Object({ username: UserNameSchema, password: PasswordSchema }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errorResponses },
      },
    },
    async (request) => {
      if (!policy.selfRegistration) {
        throw new HttpError(403, 'Self-registration is disabled here; ask an administrator for an account');
      }
      const { username, password } = request.body;
      await asV1(async () => {
        policy.registrations.admit(request.ip);
        return identity.createUser(username, password, ['student']);
      });
      return { error: false as const, message: 'register successfully' };
    },
  );

  app.delete(
    '/auth/delete',
    {
      // Without a body, the caller deletes their own account.
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: "Delete an account: the caller's own, or, for an admin, anyone's",
        body: Type.Object({
          id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a user id (UUID) or user name' })),
        }),
        response: { 200: MessageEnvelope, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const requested = request.body.id;
      const target: UserRef =
        requested === undefined ? { id: principal.userId } : isUuid(requested) ? { id: requested.toLowerCase() } : { name: requested };
      const isSelf = 'id' in target ? target.id === principal.userId : sameUserName(target.name, principal.name);
      if (!isSelf && !isAdmin(principal)) {
        throw new HttpError(403, `Permission denied: you are signed in as ${principal.name} and can delete only your own account`);
      }
      await asV1(() => identity.removeUser(target));
      return { error: false as const, message: `user ${requested ?? principal.name} is deleted successfully` };
    },
  );
}

/** The identity service speaks in status codes; v1 speaks HTTP. */
async function asV1<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    switch (error.status) {
      case Status.UserAlreadyExisting:
        throw new HttpError(409, error.message);
      case Status.UserNotFound:
        throw new HttpError(400, error.message);
      case Status.TooManyAttempts:
        throw new ServiceError('busy', error.message, error.retryAfterSeconds);
      default:
        if (error.conflict) throw new HttpError(409, error.message);
        throw new HttpError(400, `${PARSE_FAILURE}: ${error.message}`);
    }
  }
}
