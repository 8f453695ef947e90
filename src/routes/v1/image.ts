import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { LabelledValues } from './dataset.js';

export async function imageRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  app.get(
    '/images',
    {
      schema: {
        tags: ['image'],
        summary: "Images a course can use with this runtime now: on Kubernetes those on the nodes plus the catalog's; locally those whose command is installed",
        response: { 200: Type.Object({ error: Type.Literal(false), images: LabelledValues }), ...errorResponses },
      },
    },
    async () => ({ error: false as const, images: await services.cluster.images() }),
  );
}
