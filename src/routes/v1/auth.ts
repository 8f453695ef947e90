import { Type } from 'typebox';
import { isAdmin } from '../../auth/permissions.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, HttpError, MessageEnvelope } from '../../http/envelope.js';
import { absentBodyIsEmpty } from '../../http/json-body.js';
import { PasswordSchema, UserNameSchema } from '../../identity/schemas.js';
import { isUuid, sameUserName } from '../../common/account-rules.js';
import type { UserRef } from '../../identity/service.js';
import { asV1 } from './identity-errors.js';
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
