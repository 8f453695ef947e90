import type { TokenVerifier } from './auth/verifier.js';
import type { CourseService } from './courses/service.js';
import type { HealthService } from './health/service.js';
import type { IdentityService } from './identity/service.js';
import type { OAuthServices } from './oauth/setup.js';

/** Everything the HTTP layer may call. Route handlers see only these, never the store. */
export interface Services {
  identity: IdentityService;
  courses: CourseService;
  health: HealthService;
  verifier: TokenVerifier;
  policy: { selfRegistration: boolean };
  oauth: OAuthServices;
}
