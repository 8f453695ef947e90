import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.js';
import { failingAs } from '../../http/errors.js';
import { absentBodyIsEmpty } from '../../http/json-body.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';

const tags = ['health'];
const NodeHealth = Type.Object({
  error: Type.Literal(false),
  message: Type.Array(Type.Object({ name: Type.String(), status: Type.Enum(['Ready', 'NotReady']) })),
  warnings: Type.Array(Type.String(), { description: 'how jobs run here, where an admin must act: e.g. unsandboxed, or no sandbox can be made' }),
});
const DatabaseHealth = Type.Object({ error: Type.Literal(false), message: Type.String(), tables: Type.Array(Type.String()) });

export async function healthRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { health, cluster } = services;
  for (const [path, isPublic] of [
    ['/health/kubernetes', true],
    ['/health/kubernetesAuth', false],
  ] as const) {
    app.get(
      path,
      {
        config: { public: isPublic },
        schema: {
          tags,
          summary: `The cluster's nodes and their Ready condition${isPublic ? '' : ' (with a token)'}; this machine for the local runtime`,
          response: { 200: NodeHealth, ...errorResponses },
        },
      },
      async () => ({ error: false as const, message: await cluster.nodes(), warnings: cluster.warnings() }),
    );
  }
  for (const [path, isPublic] of [
    ['/health/database', true],
    ['/health/databaseAuth', false],
  ] as const) {
    app.post(
      path,
      {
        config: { public: isPublic },
        // A probe may send no body at all; the message is only echoed back.
        preValidation: absentBodyIsEmpty,
        schema: {
          tags,
          summary: `Check that the database answers${isPublic ? '' : ' (with a token)'}; echoes message and lists the tables`,
          body: Type.Object({ message: Type.Optional(Type.String({ maxLength: 1024 })) }),
          response: { 200: DatabaseHealth, ...errorResponses },
        },
      },
      async (request) => {
        const tables = await failingAs('Query all table name fail', () => health.databaseTables());
        return { error: false as const, message: request.body.message ?? '', tables };
      },
    );
  }
}
