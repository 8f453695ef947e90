/** The classlab command; main.ts loads it once V8 is set up for the start. */
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/settings.js';
import { createLogger } from '../http/logging.js';
import { IdentityError } from '../identity/status.js';
import { openPlatform, serve, StartError, type Platform } from '../main.js';
import { RuntimeSetupError } from '../runtime/types.js';
import { DataDirLockedError } from '../store/data-dir-lock.js';
import { keepHeapGrowthSmall } from './heap-growth.js';
import { letYoungGenerationGrow } from './young-generation.js';
import { MissingPasswordError, readPassword } from './password.js';

const program = new Command('classlab')
  .description('GPU teaching labs: courses, jobs and accounts')
  .option('--config <file>', 'a JSON file of settings, keyed by their environment variable names')
  .showHelpAfterError();

function configOf(): Config {
  return loadConfig(process.env, program.opts<{ config?: string }>().config);
}

program
  .command('serve')
  .description('run the API and, unless CLASSLAB_IDENTITY_PORT=off, the identity service')
  .action(() => runServer({ api: true }));

program
  .command('identity')
  .description('run the identity service alone (share the database through DATABASE_URL)')
  .action(() => runServer({ api: false }));

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(() =>
    withPlatform(async (platform) => {
      process.stdout.write(`Database at ${platform.store.location} is up to date.\n`);
    }),
  );

const user = program.command('user').description('manage accounts');

user
  .command('add <name>')
  .description('create an account; the password comes from CLASSLAB_USER_PASSWORD or a prompt')
  .addOption(new Option('--role <role...>', 'its roles').default(['student']))
  .action((name: string, options: { role: string[] }) =>
    withPlatform(async (platform) => {
      const password = await readPassword('CLASSLAB_USER_PASSWORD', `Password for ${name}: `);
      const created = await platform.services.identity.createUser(name, password, options.role);
      process.stdout.write(`Created ${created.name} with roles ${created.roles.join(', ')}.\n`);
    }),
  );

user
  .command('role <name> <role>')
  .description('grant a role to an account (or take it away with --remove)')
  .option('--remove', 'take the role away instead')
  .action((name: string, role: string, options: { remove?: boolean }) =>
    withPlatform(async (platform) => {
      const { identity } = platform.services;
      if (options.remove) {
        await identity.removeUserRole(name, role);
        process.stdout.write(`${name} no longer has role ${role}.\n`);
        return;
      }
      try {
        await identity.addUserRole(name, role);
      } catch (error) {
        if (!(error instanceof IdentityError && error.status === 40015)) throw error;
      }
      process.stdout.write(`${name} has role ${role}.\n`);
    }),
  );

/** Signals this soon after the first are the same request to stop, not a second one. */
const SAME_STOP_MS = 1000;

async function runServer(options: { api: boolean }): Promise<void> {
  keepHeapGrowthSmall();
  const config = configOf();
  const logger = createLogger(config.logLevel);
  const starting = serve(config, logger, {
    api: options.api,
    announce: (line) => process.stderr.write(`\n${line}\n\n`),
  });
  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C under `npm start` arrives twice at once: from the terminal, and forwarded by npm.
      if (Date.now() - stoppingSince < SAME_STOP_MS) return;
      process.exit(1); // a second signal: give up on a clean stop
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'stopping');
    starting.then(
      (server) =>
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'stopping failed');
            process.exit(1);
          },
        ),
      // A start that failed has nothing to close; its own error is reported where it is awaited.
      () => undefined,
    );
  };
  // Before the start completes, which announces "ready": a signal sent on that line must stop
  // the server cleanly, not kill it with the data directory still locked.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await starting;
  letYoungGenerationGrow();
}

/** Commands other than serve open the store, do one thing, and close it. */
async function withPlatform(work: (platform: Platform) => Promise<void>): Promise<void> {
  const config = configOf();
  const logger: Logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const platform = await openPlatform(config, logger);
  try {
    await work(platform);
  } finally {
    await platform.close();
  }
}

/** Mistakes a user can fix are one line, without a stack trace. */
function isExplained(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof StartError ||
    error instanceof DataDirLockedError ||
    error instanceof RuntimeSetupError ||
    error instanceof IdentityError ||
    error instanceof MissingPasswordError
  );
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof IdentityError) {
    process.stderr.write(`classlab: ${error.message} (${error.status})\n`);
  } else if (isExplained(error)) {
    process.stderr.write(`classlab: ${error.message}\n`);
  } else {
    process.stderr.write(`classlab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(error instanceof ConfigError ? 2 : 1);
});
