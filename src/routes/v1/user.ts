import { Type } from 'typebox';
import { isAdmin } from '../../auth/permissions.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, HttpError } from '../../http/envelope.js';
import { failingAs } from '../../http/errors.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import type { FastifyRequest } from 'fastify';
import { asV1 } from './identity-errors.js';

const tags = ['user'];
const DEFAULT_PAGE = 50;

const ListedUser = Type.Object({
  name: Type.String(),
  roles: Type.Array(Type.String()),
  createAt: Type.String({ format: 'date-time' }),
});

const UserListQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String({ maxLength: 64, description: 'names that begin with this, in any case' })),
    limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'a whole number from 1 to 500: at most this many users (50 unless given)' })),
    offset: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$', description: 'a whole number from 0: how many users to skip first' })),
  },
  { additionalProperties: false },
);

const RoleGrant = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 64, description: 'a user name, in any case' }),
    role: Type.String({ minLength: 1, maxLength: 64, description: 'a role name, e.g. teacher' }),
  },
  { additionalProperties: false },
);

const RoleAnswer = Type.Object({
  error: Type.Literal(false),
  message: Type.String(),
  user: Type.Object({ name: Type.String(), roles: Type.Array(Type.String()) }),
});

function requireAdmin(request: FastifyRequest, what: string): void {
  if (!isAdmin(principalOf(request))) throw new HttpError(403, `Permission denied: only admins can ${what}`);
}

/** The admin's view of accounts: find users by name, grant and remove roles. Logic in the identity service. */
export async function userRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { identity } = services;

  app.get(
    '/user/list',
    {
      schema: {
        tags,
        summary: 'Users by name, with their roles (admins): a page, optionally of names with a prefix',
        querystring: UserListQuery,
        response: { 200: Type.Object({ error: Type.Literal(false), users: Type.Array(ListedUser), total: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(request, 'list users');
      const { prefix, limit, offset } = request.query;
      const page = await failingAs('Query users table fail', () =>
        identity.listUsers({
          ...(prefix ? { prefix } : {}),
          limit: limit === undefined ? DEFAULT_PAGE : Number(limit),
          offset: offset === undefined ? 0 : Number(offset),
        }),
      );
      return { error: false as const, ...page };
    },
  );

  for (const method of ['POST', 'DELETE'] as const) {
    const granting = method === 'POST';
    app.route({
      method,
      url: '/user/role',
      schema: {
        tags,
        summary: granting ? 'Grant a user a role (admins)' : "Remove a role from a user (admins); the last admin keeps theirs",
        body: RoleGrant,
        response: { 200: RoleAnswer, ...errorResponses },
      },
      handler: async (request) => {
        requireAdmin(request, granting ? 'grant roles' : 'remove roles');
        const { user, role } = request.body;
        const changed = await asV1(async () => {
          await (granting ? identity.addUserRole(user, role) : identity.removeUserRole(user, role));
          return identity.findUser({ name: user });
        }, 404);
        if (!changed) throw new HttpError(404, `user ${user} not found`);
        return {
          error: false as const,
          message: granting ? `user ${changed.name} now has role ${role}` : `user ${changed.name} no longer has role ${role}`,
          user: { name: changed.name, roles: changed.roles },
        };
      },
    });
  }
}
