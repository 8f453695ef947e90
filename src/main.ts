import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { shareTokenChanges } from './auth/revocations.js';
import { CachedTokenVerifier, IdentityTokenVerifier } from './auth/verifier.js';
import { httpLimitsOf } from './config/http-settings.js';
import type { Config } from './config/settings.js';
import { ClassroomLaunchGate } from './classrooms/launch-gate.js';
import { WindowEnds } from './classrooms/window-ends.js';
import { ClusterService } from './cluster/service.js';
import { CourseByIdCache } from './courses/by-id-cache.js';
import { CourseService } from './courses/service.js';
import { HealthService } from './health/service.js';
import { HomeRepository } from './homes/repository.js';
import { HomeService } from './homes/service.js';
import { buildApiApp } from './api-app.js';
import { buildMetricsApp } from './http/metrics.js';
import type { HttpApp } from './http/server.js';
import { Readiness } from './http/probes.js';
import { startupGate } from './http/startup.js';
import { ensureAdmin, type AdminBootstrap } from './identity/bootstrap.js';
import { buildIdentityApp } from './identity/http.js';
import { DatabaseFailureCounts } from './identity/failure-counts.js';
import { RegistrationLimit } from './identity/registration-limit.js';
import { IdentityService } from './identity/service.js';
import { SignInThrottle } from './identity/sign-in-throttle.js';
import { JobEventHub } from './jobs/events.js';
import { DatabaseLease } from './jobs/lease.js';
import { isDeadHolderNearby, ownLeaseHolder } from './jobs/lease-holder.js';
import { JobView } from './jobs/job-view.js';
import { announceState } from './jobs/announce.js';
import { JobLifecycle } from './jobs/lifecycle.js';
import { placeholderPlanner } from './classrooms/placeholders.js';
import type { JobPolicy } from './jobs/quotas.js';
import { JobRepository } from './jobs/repository.js';
import { JobService } from './jobs/service.js';
import { ClassroomRepository } from './classrooms/repository.js';
import { ClassroomService } from './classrooms/service.js';
import { createRuntime } from './runtime/index.js';
import type { JobRuntime } from './runtime/types.js';
import { createOAuth } from './oauth/setup.js';
import type { Services } from './services.js';
import { openStore, type Store, type StoreOptions } from './store/store.js';
import { UsageRepository } from './usage/repository.js';
import { UsageService } from './usage/service.js';

export interface Platform {
  store: Store;
  services: Services;
  runtime: JobRuntime;
  /** Starts the runtime's watches, and reconciling and culling: only a serving process does. */
  startJobs(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformParts {
  /** An open store to use instead of the configured one. */
  store?: Store;
  /** A runtime to use instead of the configured one. */
  runtime?: JobRuntime;
  /** The clock of culling, usage reports and classroom windows; the system's unless a test sets one. */
  now?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function storeOptionsOf(config: Config, logger: Logger): StoreOptions {
  const onFeedError = (message: string, err: unknown) => logger.warn({ err }, message);
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, onPoolError: (err) => logger.warn({ err }, 'database connection lost; it will be replaced'), onFeedError }
    : { kind: 'pglite', dataDir: config.dataDir, onFeedError };
}

/** Wiring only: store → identity → runtime → services. The listeners are added by `serve`. */
export async function openPlatform(config: Config, logger: Logger, parts: PlatformParts = {}): Promise<Platform> {
  const opened = parts.store ?? (await openStore(storeOptionsOf(config, logger)));
  try {
    await opened.migrate().catch((error: unknown) => {
      throw explainConnectionFailure(error, config, opened.location);
    });
    const throttle = new SignInThrottle({
      failuresPerUser: config.signInFailuresPerUser,
      failuresPerAddress: config.signInFailuresPerAddress,
      windowSeconds: config.signInWindowSeconds,
      logger: logger.child({ area: 'sign-in' }),
      // A server database may have several replicas on it: they count together.
      ...(config.databaseUrl ? { counts: (kind: 'user' | 'address') => new DatabaseFailureCounts(opened.db, kind, config.signInWindowSeconds) } : {}),
    });
    const identity = new IdentityService(opened.db, { tokenTtlSeconds: config.tokenTtlSeconds, throttle });
    const verifier = new CachedTokenVerifier(new IdentityTokenVerifier(identity), { ttlMs: config.tokenCacheMs });
    const stopSharingTokenChanges = shareTokenChanges(opened.changes, identity, verifier);
    const oauth = createOAuth(config, { db: opened.db, identity, localVerifier: verifier, logger });
    const runtime = parts.runtime ?? (await createRuntime(config, logger));
    const courses = new CourseService(opened.db, identity, runtime, opened.changes);
    const homes = new HomeService(
      new HomeRepository(opened.db),
      runtime.homes,
      identity,
      { capacity: config.homeCapacity, mountPath: config.homeMountPath, catalog: config.imageCatalog, deleteWithUser: config.homeDeleteWithUser },
      logger.child({ area: 'homes' }),
    );
    const repository = new JobRepository(opened.db, config.gpuResource);
    const hub = new JobEventHub();
    const jobLogger = logger.child({ area: 'jobs' });
    const jobView = new JobView(repository, opened.changes, jobLogger);
    // A deleted account or course takes its jobs with it, and an account's name is shown beside them.
    const stopReloadingJobs = courses.onChange(() => jobView.reload());
    jobView.onRemoteChange((job) => announceState(hub, job));
    const courseById = new CourseByIdCache(courses);
    const policy: JobPolicy = { limits: config.jobLimits, maxAgeSeconds: config.jobMaxAge, idleTimeoutSeconds: config.jobIdleTimeout };
    const jobService = new JobService(repository, jobView, runtime, courseById, homes, identity, hub, policy, jobLogger, new ClassroomLaunchGate(opened.db), parts.now);
    const lifecycle = new JobLifecycle(
      repository,
      jobView,
      runtime,
      hub,
      policy,
      new DatabaseLease(opened.db, `jobs-${config.runtime}`, ownLeaseHolder(), config.reconcileIntervalSeconds * 3, isDeadHolderNearby),
      jobLogger,
      {
        intervalMs: config.reconcileIntervalSeconds * 1000,
        launchGraceMs: config.launchTimeoutSeconds * 1000,
        ...(parts.now ? { now: parts.now } : {}),
        chores: [new WindowEnds(opened.db, jobService, logger.child({ area: 'classrooms' }))],
        soleServer: opened.soleServer,
      },
    );
    const placeholders = placeholderPlanner(config.placeholders, opened.db, runtime);
    if (placeholders) lifecycle.addChore(placeholders);
    else if (config.placeholders === 'on') logger.warn(`CLASSLAB_PLACEHOLDERS=on has no effect on the ${runtime.kind} runtime`);
    const classrooms = new ClassroomService(new ClassroomRepository(opened.db), {
      now: parts.now ?? (() => new Date()),
      nodes: () => runtime.nodes(),
      jobs: jobService,
    });
    const services: Services = {
      identity,
      verifier: oauth.verifier,
      oauth,
      courses,
      health: new HealthService(opened.db),
      jobs: jobService,
      homes,
      cluster: new ClusterService(runtime, config.namespace, config.gpuResource),
      usage: new UsageService(new UsageRepository(opened.db), parts.now),
      classrooms,
      policy: { selfRegistration: config.selfRegistration, registrations: new RegistrationLimit(config.registrationRateLimit) },
    };
    let jobsStarted = false;
    return {
      store: opened,
      services,
      runtime,
      async startJobs() {
        // Job state is read from memory from now on; until it has loaded, from the database.
        jobView.startAtFirstRead();
        await runtime.start();
        lifecycle.start();
        jobsStarted = true;
      },
      async close() {
        if (jobsStarted) await lifecycle.stop();
        stopReloadingJobs();
        jobView.close();
        courseById.close();
        stopSharingTokenChanges();
        oauth.close();
        await runtime.close();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

export interface RunningServer {
  platform: Platform;
  apiUrl: string | undefined;
  identityUrl: string | undefined;
  /** Set when /metrics has a listener of its own. */
  metricsUrl: string | undefined;
  /** Answers 503 on /readyz, serves on for CLASSLAB_SHUTDOWN_DRAIN, then closes everything. */
  close(): Promise<void>;
}

/**
 * Opens the platform, makes sure an admin exists, and listens: the API (unless `api: false`)
 * and the identity service (unless its address is `off`).
 */
export async function serve(
  config: Config,
  logger: Logger,
  options: { api?: boolean; announce?: (line: string) => void } = {},
): Promise<RunningServer> {
  const platform = await openPlatform(config, logger);
  const gate = startupGate();
  // The store is open by now; the listeners come up before the rest, and say so on /readyz.
  const readiness = new Readiness({ startup: 'classlab is starting', runtime: "the runtime's watches have not synced yet" });
  const apps: HttpApp[] = [];
  let purgeTimer: NodeJS.Timeout | undefined;
  const close = async () => {
    clearInterval(purgeTimer);
    await Promise.allSettled(apps.map((app) => app.close()));
    await platform.close();
  };
  /** Not ready at once, but still serving for the drain, so that load balancers stop sending first. */
  const drainAndClose = async () => {
    readiness.block('shutdown', 'classlab is shutting down');
    if (config.shutdownDrainSeconds > 0) {
      logger.info({ drainSeconds: config.shutdownDrainSeconds }, 'not ready any more; serving until the drain ends');
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
    }
    await close();
  };
  try {
    const { identity } = platform.services;
    let apiUrl: string | undefined;
    let metricsUrl: string | undefined;
    if (options.api !== false) {
      const { metricsListen, metricsToken: token } = config;
      const metrics = { registry: new Registry(), serve: metricsListen === 'api', token };
      const api = await buildApiApp({ services: platform.services, logger, corsOrigins: config.corsOrigins, startup: gate.started, metrics, limits: httpLimitsOf(config), readiness });
      apps.push(api);
      apiUrl = await listen(api, { host: 'HOST', port: 'PORT' }, config.host, config.port);
      if (metricsListen !== null && metricsListen !== 'api') {
        const metricsApp = buildMetricsApp({ registry: metrics.registry, token, logger });
        apps.push(metricsApp);
        metricsUrl = await listen(metricsApp, { host: 'CLASSLAB_METRICS_PORT', port: 'CLASSLAB_METRICS_PORT' }, metricsListen.host, metricsListen.port);
      }
    }
    let identityUrl: string | undefined;
    if (config.identityListen) {
      const identityApp = await buildIdentityApp({ identity, logger, selfRegistration: config.selfRegistration, registrations: platform.services.policy.registrations, startup: gate.started, limits: httpLimitsOf(config) });
      apps.push(identityApp);
      const key = 'CLASSLAB_IDENTITY_PORT';
      identityUrl = await listen(identityApp, { host: key, port: key }, config.identityListen.host, config.identityListen.port);
    }

    // Only once both listeners are up and the runtime has started, so that a start that fails (a
    // port in use, no cluster) writes nothing.
    if (options.api !== false) {
      await platform.startJobs();
      void platform.runtime.whenSynced().then(() => readiness.clear('runtime'));
    }
    reportAdmin(await ensureAdmin(identity, config), logger, options.announce);

    // Expired tokens are kept a week, so that their owners hear "expired" rather than "invalid".
    const purge = () =>
      identity.purgeTokensExpiredBefore(new Date(Date.now() - 7 * DAY_MS)).catch((err: unknown) => {
        logger.warn({ err }, 'purging expired tokens failed; will retry');
      });
    void purge();
    purgeTimer = setInterval(purge, 60 * 60 * 1000).unref();
    gate.open();
    readiness.clear('startup');

    logger.info({ api: apiUrl, identity: identityUrl, metrics: metricsUrl, database: platform.store.location, runtime: config.runtime }, 'classlab is ready');
    return { platform, apiUrl, identityUrl, metricsUrl, close: drainAndClose };
  } catch (error) {
    gate.fail();
    await close();
    throw error;
  }
}

/** A generated password is shown to the person starting the server, once, outside the logs. */
function reportAdmin(admin: AdminBootstrap, logger: Logger, announce?: (line: string) => void): void {
  if (admin.outcome === 'created' && admin.generatedPassword) {
    announce?.(
      `Created the admin account "${admin.user}" with the generated password: ${admin.generatedPassword}\n` +
        'It is shown only this once. Set CLASSLAB_ADMIN_PASSWORD on first start to choose it yourself.',
    );
  } else if (admin.outcome === 'created') {
    logger.info({ user: admin.user }, 'created the admin account');
  } else if (admin.outcome === 'name-taken') {
    logger.error(`no admin exists and the name ${admin.user} belongs to a non-admin; grant it with: classlab user role ${admin.user} admin`);
  }
}

/** Failures to resolve a listener's host name: it names nothing this machine can listen on. */
const UNRESOLVED_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** A listen failure is one line that names the setting to change, and its value. */
export async function listen(app: HttpApp, keys: { host: string; port: string }, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartError(`${keys.port}: ${host}:${port} is already in use; choose another port`);
    if (code === 'EADDRNOTAVAIL') throw new StartError(`${keys.host}: ${JSON.stringify(host)} is not an address of this machine`);
    if (code !== undefined && UNRESOLVED_HOST.has(code)) {
      throw new StartError(`${keys.host}: ${JSON.stringify(host)} is not an address or a known name of this machine (${code})`);
    }
    if (code === 'EACCES') throw new StartError(`${keys.port}: port ${port} needs privileges; choose a port above 1023`);
    throw error;
  }
}

/** A start failure explained in one line; the command prints it without a stack trace. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', '28P01', '28000', '3D000']);

/** Unreachable server, bad password, missing database: one line naming DATABASE_URL. */
function explainConnectionFailure(error: unknown, config: Config, location: string): unknown {
  const code = (error as { code?: string }).code;
  if (config.databaseUrl && code && CONNECTION_FAILURES.has(code)) {
    return new StartError(`DATABASE_URL: cannot use ${location}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}
