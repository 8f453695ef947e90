import { bearerAuthentication } from '../../http/auth.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { authRoutes } from './auth.js';
import { classroomRoutes } from './classroom.js';
import { clusterRoutes } from './cluster.js';
import { courseRoutes } from './course.js';
import { datasetRoutes } from './dataset.js';
import { healthRoutes } from './health.js';
import { imageRoutes } from './image.js';
import { jobRoutes } from './job.js';
import { proxyRoutes } from './proxy.js';
import { usageRoutes } from './usage.js';
import { userRoutes } from './user.js';
import { volumeRoutes } from './volume.js';

/** The v1 API: protected by a bearer token unless a route says `public: true`. */
export async function v1Routes(app: HttpApp, options: { services: Services }): Promise<void> {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    if (route.config?.public || !route.schema) return;
    route.schema.security = [{ bearer: [] }];
  });
  app.addHook('onRequest', bearerAuthentication(options.services.verifier));
  // Only the services: passing `options` on would repeat its prefix.
  const { services } = options;
  await app.register(courseRoutes, { services });
  await app.register(authRoutes, { services });
  await app.register(healthRoutes, { services });
  await app.register(jobRoutes, { services });
  await app.register(datasetRoutes, { services });
  await app.register(imageRoutes, { services });
  await app.register(proxyRoutes, { services });
  await app.register(userRoutes, { services });
  await app.register(clusterRoutes, { services });
  await app.register(volumeRoutes, { services });
  await app.register(usageRoutes, { services });
  await app.register(classroomRoutes, { services });
}
