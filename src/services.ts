import type { TokenVerifier } from './auth/verifier.js';
import type { ClassroomService } from './classrooms/service.js';
import type { ClusterService } from './cluster/service.js';
import type { CourseService } from './courses/service.js';
import type { HealthService } from './health/service.js';
import type { HomeService } from './homes/service.js';
import type { RegistrationLimit } from './identity/registration-limit.js';
import type { IdentityService } from './identity/service.js';
import type { JobService, ListedJobWithCullTimes } from './jobs/service.js';
import type { OAuthServices } from './oauth/setup.js';
import type { UsageService } from './usage/service.js';

/** Everything the HTTP layer may call. Route handlers see only these, never the store. */
export interface Services {
  identity: IdentityService;
  courses: CourseService;
  health: HealthService;
  jobs: JobService;
  homes: HomeService;
  cluster: ClusterService;
  usage: UsageService;
  classrooms: ClassroomService<ListedJobWithCullTimes>;
  verifier: TokenVerifier;
  policy: { selfRegistration: boolean; registrations: RegistrationLimit };
  oauth: OAuthServices;
}
