import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';

export const LabelledValues = Type.Array(Type.Object({ label: Type.String(), value: Type.String() }));

export async function datasetRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  app.get(
    '/datasets',
    {
      schema: {
        tags: ['dataset'],
        summary: 'Shared datasets a course can name: PVCs named dataset-* (kubernetes), or subfolders of the datasets folder (local)',
        response: { 200: Type.Object({ error: Type.Literal(false), datasets: LabelledValues }), ...errorResponses },
      },
    },
    async () => ({ error: false as const, datasets: await services.cluster.datasets() }),
  );
}
