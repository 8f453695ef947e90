import { Type } from 'typebox';
import { principalOf } from '../../http/auth.js';
import { errorResponses, MessageEnvelope } from '../../http/envelope.js';
import { failingAs, notFoundAs404 } from '../../http/errors.js';
import type { HttpApp } from '../../http/server.js';
import { HOME_STATES } from '../../runtime/types.js';
import type { Services } from '../../services.js';

const tags = ['volume'];

const Home = Type.Object({
  name: Type.Union([Type.String(), Type.Null()], { description: "the home's name, derived from the user's id; null before the first launch" }),
  user: Type.String({ description: "the owner's name; for an orphaned home, the name it was made for" }),
  capacity: Type.String({ description: 'requested size, a Kubernetes quantity such as 10Gi' }),
  mountPath: Type.String({ description: 'where jobs see it by default; a course or the image catalog may mount it elsewhere' }),
  state: Type.Enum([...HOME_STATES]),
  reason: Type.Union([Type.String(), Type.Null()], { description: "why it is not Bound, in the cluster's words" }),
  usedBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'bytes used, where the runtime can tell' }),
  createAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null before the first launch' }),
  orphaned: Type.Boolean({ description: 'its user has been deleted' }),
});

const UserParams = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 128, description: "a user's name; for an orphaned home, the name it was made for, or the home's name" }),
});

const CapacityBody = Type.Object(
  { capacity: Type.String({ minLength: 1, maxLength: 64, description: 'the new size, a Kubernetes quantity such as 20Gi; never smaller than now' }) },
  { additionalProperties: false },
);

/** Users' persistent homes: one's own, and the admin's view of all. Logic in the homes service. */
export async function volumeRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { homes } = services;

  app.get(
    '/volume/home',
    {
      schema: {
        tags,
        summary: "The caller's home; before their first launch, the one they will get (state Absent, name null)",
        response: { 200: Type.Object({ error: Type.Literal(false), home: Home }), ...errorResponses },
      },
    },
    async (request) => ({ error: false as const, home: await failingAs('Query home fail', () => homes.mine(principalOf(request))) }),
  );

  app.get(
    '/volume/list',
    {
      schema: {
        tags,
        summary: "Every user's home, orphaned ones (whose user is deleted) included (admins)",
        response: { 200: Type.Object({ error: Type.Literal(false), homes: Type.Array(Home) }), ...errorResponses },
      },
    },
    async (request) => ({ error: false as const, homes: await failingAs('Query homes fail', () => homes.list(principalOf(request))) }),
  );

  app.put(
    '/volume/home/:user',
    {
      schema: {
        tags,
        summary: "Grow a user's home (admins); it never shrinks, and storage that cannot grow answers 409 with why",
        params: UserParams,
        body: CapacityBody,
        response: { 200: Type.Object({ ...MessageEnvelope.properties, home: Home }), ...errorResponses },
      },
    },
    async (request) => {
      const { user } = request.params;
      const home = await notFoundAs404(() =>
        failingAs(`Expand home of ${user} fail`, () => homes.expand(principalOf(request), user, request.body.capacity)),
      );
      return { error: false as const, message: `home of ${home.user} is ${home.capacity}`, home };
    },
  );

  app.delete(
    '/volume/home/:user',
    {
      schema: {
        tags,
        summary: 'Delete a home and everything in it (its owner or an admin); refused while a job of its user runs',
        params: UserParams,
        response: { 200: MessageEnvelope, ...errorResponses },
      },
    },
    async (request) => {
      const { user } = request.params;
      const removed = await notFoundAs404(() => failingAs(`Delete home of ${user} fail`, () => homes.remove(principalOf(request), user)));
      return { error: false as const, message: `home of ${removed.user} is deleted` };
    },
  );
}
