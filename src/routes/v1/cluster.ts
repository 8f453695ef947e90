import { Type } from 'typebox';
import { isAdmin } from '../../auth/permissions.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, HttpError } from '../../http/envelope.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';

const Count = Type.Union([Type.Integer(), Type.Null()]);

const NodeCapacity = Type.Object({
  name: Type.String(),
  ready: Type.Boolean(),
  gpu: Type.Object({
    resource: Type.String({ description: 'the resource GPUs go by, e.g. nvidia.com/gpu' }),
    total: Type.Integer({ description: 'GPUs the node can give to jobs' }),
    used: { ...Count, description: "GPUs classlab's jobs hold there; null where the runtime cannot tell" },
    free: Count,
  }),
});

/** The admin's view of the machines: each node, its Ready state and its GPUs. */
export async function clusterRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  app.get(
    '/cluster/nodes',
    {
      schema: {
        tags: ['cluster'],
        summary: 'The nodes, Ready or not, with their GPUs in use and free (admins); the local runtime reports its one machine',
        response: { 200: Type.Object({ error: Type.Literal(false), nodes: Type.Array(NodeCapacity) }), ...errorResponses },
      },
    },
    async (request) => {
      if (!isAdmin(principalOf(request))) throw new HttpError(403, 'Permission denied: only admins can see the nodes');
      return { error: false as const, nodes: await services.cluster.capacity() };
    },
  );
}
