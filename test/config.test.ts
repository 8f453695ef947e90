import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { httpLimitsOf } from '../src/config/http-settings.js';
import { oauthSettings } from '../src/config/oauth-settings.js';
import { allowanceFor } from '../src/jobs/quotas.js';

const defaultsOf = (table: Record<string, { default: unknown }>) =>
  Object.fromEntries(Object.entries(table).map(([key, setting]) => [key, setting.default]));

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'classlab-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('needs nothing: PGlite under ./data, API on :8080, identity on 127.0.0.1:8081, 8-hour tokens, local jobs', () => {
    expect(loadConfig({})).toMatchObject({
      runtime: 'local',
      namespace: 'default',
      gpuResource: 'nvidia.com/gpu',
      jobLimits: { student: 1 },
      host: '0.0.0.0',
      port: 8080,
      identityListen: { host: '127.0.0.1', port: 8081 },
      dataDir: './data',
      databaseUrl: undefined,
      adminUser: 'admin',
      adminPassword: undefined,
      tokenTtlSeconds: 28_800,
      tokenCacheMs: 1000,
      selfRegistration: true,
      corsOrigins: '*',
      logLevel: 'info',
      ...defaultsOf(oauthSettings),
    });
  });

  it('reads the environment', () => {
    const config = loadConfig({
      PORT: '9000',
      CLASSLAB_IDENTITY_PORT: '0.0.0.0:9001',
      CLASSLAB_DATA_DIR: '/var/lib/classlab',
      DATABASE_URL: 'postgres://classlab:secret@db:5432/classlab',
      CLASSLAB_ADMIN_USER: 'root@lab',
      CLASSLAB_ADMIN_PASSWORD: 'a-long-password',
      CLASSLAB_TOKEN_TTL: '3600',
      CLASSLAB_SELF_REGISTRATION: 'off',
      CLASSLAB_CORS_ORIGINS: 'https://lab.example.edu, http://localhost:3000/',
      CLASSLAB_LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      port: 9000,
      identityListen: { host: '0.0.0.0', port: 9001 },
      dataDir: '/var/lib/classlab',
      databaseUrl: 'postgres://classlab:secret@db:5432/classlab',
      adminUser: 'root@lab',
      adminPassword: 'a-long-password',
      tokenTtlSeconds: 3600,
      selfRegistration: false,
      corsOrigins: ['https://lab.example.edu', 'http://localhost:3000'],
      logLevel: 'debug',
    });
  });

  it.each([
    ['8082', { host: '127.0.0.1', port: 8082 }],
    ['[::1]:8082', { host: '::1', port: 8082 }],
    ['off', null],
  ])('reads CLASSLAB_IDENTITY_PORT=%s', (value, expected) => {
    expect(loadConfig({ CLASSLAB_IDENTITY_PORT: value }).identityListen).toEqual(expected);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['CLASSLAB_IDENTITY_PORT', 'localhost:http'],
    ['CLASSLAB_TOKEN_TTL', '5'],
    ['CLASSLAB_TOKEN_TTL', '1h'],
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['CLASSLAB_ADMIN_USER', 'the admin'],
    ['CLASSLAB_ADMIN_PASSWORD', 'short'],
    ['CLASSLAB_SELF_REGISTRATION', 'maybe'],
    ['CLASSLAB_CORS_ORIGINS', 'lab.example.edu'],
    ['CLASSLAB_LOG_LEVEL', 'loud'],
    ['CLASSLAB_DATA_DIR', '  '],
    ['HOST', 'http://lab.example.edu'],
    ['HOST', 'lab host'],
    ['CLASSLAB_IDENTITY_PORT', 'lab_host:8081'],
    ['CLASSLAB_LOCAL_HOST', '127.0.0.1:9000'],
    ['CLASSLAB_NODEPORT_HOST', 'ftp://gpu.lab.example.edu'],
    ['CLASSLAB_NODEPORT_HOST', 'http://gpu.lab.example.edu:30000'],
    ['CLASSLAB_NODEPORT_HOST', 'https://gpu.lab.example.edu/jobs'],
    ['CLASSLAB_NODEPORT_HOST', 'gpu.lab.example.edu:30000'],
    ['CLASSLAB_PUBLIC_URL', 'localhost:8080'],
    ['CLASSLAB_PUBLIC_URL', 'https://lab.example.edu/?next=1'],
    ['CLASSLAB_OAUTH_ISSUER', 'http://login.example.edu'],
    ['CLASSLAB_OAUTH_CLIENT_ID', 'two words'],
    ['CLASSLAB_REQUEST_TIMEOUT', '0'],
    ['CLASSLAB_MAX_CONNECTIONS', 'many'],
  ])('stops on %s=%s with one line naming the key and the whole value', (key, value) => {
    let thrown: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${key} `));
    expect(message).not.toContain('\n');
    // What may hold a password is never repeated; any other value is, whole.
    if (!['CLASSLAB_ADMIN_PASSWORD', 'DATABASE_URL'].includes(key)) expect(message).toContain(JSON.stringify(value));
  });

  it('says why a bad value is bad, not only that it is', () => {
    expect(() => loadConfig({ CLASSLAB_NODEPORT_HOST: 'http://gpu.lab.example.edu:30000' })).toThrow(/NodePort is the port/);
    expect(() => loadConfig({ CLASSLAB_PUBLIC_URL: 'localhost:8080' })).toThrow(/must be an http\(s\) URL/);
  });

  it('does not repeat a database URL that may hold a password', () => {
    const message = (() => {
      try {
        loadConfig({ DATABASE_URL: 'mysql://root:hunter2@localhost/db' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/);
    expect(message).not.toContain('hunter2');
  });

  it.each([
    ['gpu.lab.example.edu', 'gpu.lab.example.edu'],
    ['10.0.0.5', '10.0.0.5'],
    ['[fd00::5]', 'fd00::5'],
    ['http://gpu.lab.example.edu', 'http://gpu.lab.example.edu'],
    ['https://gpu.lab.example.edu/', 'https://gpu.lab.example.edu'],
    ['https://[fd00::5]', 'https://[fd00::5]'],
  ])('reads CLASSLAB_NODEPORT_HOST=%s, keeping a scheme it names', (value, expected) => {
    expect(loadConfig({ CLASSLAB_NODEPORT_HOST: value }).nodePortHost).toBe(expected);
  });

  it.each([
    ['HOST', '::', 'host'],
    ['HOST', '[::1]', 'host'],
    ['HOST', 'localhost', 'host'],
    ['CLASSLAB_LOCAL_HOST', 'gpu-1.lab.example.edu', 'localHost'],
  ])('reads %s=%s', (key, value, setting) => {
    expect(loadConfig({ [key]: value })[setting as 'host']).toBe(value.replace(/^\[(.*)\]$/, '$1'));
  });

  it('reads CLASSLAB_JOB_LIMITS=off as no limit for any role, as the README says', () => {
    const { jobLimits } = loadConfig({ CLASSLAB_JOB_LIMITS: 'off' });
    expect(allowanceFor(jobLimits, ['student'])).toBeUndefined();
    expect(allowanceFor(jobLimits, ['teacher', 'tutor'])).toBeUndefined();
    expect(loadConfig({ CLASSLAB_JOB_MAX_AGE: ' off ' }).jobMaxAge).toEqual({});
  });

  it('reads request timeouts and the connection limit of the listeners', () => {
    const config = loadConfig({ CLASSLAB_HEADERS_TIMEOUT: '5s', CLASSLAB_REQUEST_TIMEOUT: '2m', CLASSLAB_MAX_CONNECTIONS: '50' });
    expect(httpLimitsOf(config)).toEqual({ headersTimeoutMs: 5000, requestTimeoutMs: 120_000, maxConnections: 50 });
    // The headers are part of the request: their timeout cannot be the longer one.
    expect(httpLimitsOf(loadConfig({ CLASSLAB_HEADERS_TIMEOUT: '60', CLASSLAB_REQUEST_TIMEOUT: '20' })).headersTimeoutMs).toBe(20_000);
  });

  it('reads a --config file keyed by the environment names; the environment wins', () => {
    const path = file('good.json', JSON.stringify({ PORT: 9100, CLASSLAB_SELF_REGISTRATION: false, CLASSLAB_DATA_DIR: '/srv/cl' }));
    expect(loadConfig({}, path)).toMatchObject({ port: 9100, selfRegistration: false, dataDir: '/srv/cl' });
    expect(loadConfig({ PORT: '9200' }, path).port).toBe(9200);
  });

  it('reads secrets from the files that _FILE settings name, so they need not be in the environment', () => {
    const password = file('admin-password', 'from-a-file-123\n');
    const url = file('database-url', 'postgres://classlab:s3cret@db/classlab');
    const secret = file('client-secret', 'oauth-secret-value\r\n');
    const config = loadConfig({ CLASSLAB_ADMIN_PASSWORD_FILE: password, DATABASE_URL_FILE: url, CLASSLAB_OAUTH_CLIENT_SECRET_FILE: secret });
    expect(config).toMatchObject({ adminPassword: 'from-a-file-123', databaseUrl: 'postgres://classlab:s3cret@db/classlab', oauthClientSecret: 'oauth-secret-value' });
    // The config file may name them too.
    expect(loadConfig({}, file('with-secret-file.json', JSON.stringify({ CLASSLAB_ADMIN_PASSWORD_FILE: password }))).adminPassword).toBe('from-a-file-123');
    // The file's value is checked like the variable's.
    const short = file('short', 'short\n');
    expect(() => loadConfig({ CLASSLAB_ADMIN_PASSWORD_FILE: short })).toThrow(`Invalid configuration: CLASSLAB_ADMIN_PASSWORD (in CLASSLAB_ADMIN_PASSWORD_FILE ${short}) must be at least 8 characters`);
    expect(() => loadConfig({ CLASSLAB_ADMIN_PASSWORD: 'x'.repeat(10), CLASSLAB_ADMIN_PASSWORD_FILE: password })).toThrow('Invalid configuration: set CLASSLAB_ADMIN_PASSWORD or CLASSLAB_ADMIN_PASSWORD_FILE, not both');
    expect(() => loadConfig({ DATABASE_URL_FILE: join(dir, 'nothing-here') })).toThrow(`Invalid configuration: DATABASE_URL_FILE ${join(dir, 'nothing-here')} cannot be read: ENOENT`);
    // Only secrets have a _FILE form.
    expect(() => loadConfig({}, file('port-file.json', JSON.stringify({ PORT_FILE: '/etc/port' })))).toThrow(/PORT_FILE \(in .*\) is not a setting/);
  });

  it('names the file when a value in it is bad', () => {
    const path = file('bad-value.json', JSON.stringify({ PORT: 'eighty' }));
    expect(() => loadConfig({}, path)).toThrow(`Invalid configuration: PORT (in ${path}) must be an integer`);
  });

  it.each([
    ['an unknown key', JSON.stringify({ PROT: 8080 }), /PROT \(in .*\) is not a setting/],
    ['a nested value', JSON.stringify({ PORT: { value: 1 } }), /PORT \(in .*\) must be a string, number or boolean/],
    ['invalid JSON', '{ PORT: 8080 }', /is not valid JSON/],
    ['an array', '[]', /must hold a JSON object/],
  ])('refuses a config file with %s', (name, content, message) => {
    const path = file(`${name.replace(/\W/g, '-')}.json`, content);
    expect(() => loadConfig({}, path)).toThrow(message);
  });

  it('refuses a config file that does not exist', () => {
    expect(() => loadConfig({}, join(dir, 'missing.json'))).toThrow(/--config .*missing\.json cannot be read/);
  });

  it('reads job and sign-in settings, as text in the environment and as JSON in a config file', () => {
    const fromEnv = loadConfig({
      CLASSLAB_RUNTIME: 'kubernetes',
      CLASSLAB_JOB_LIMITS: 'student=2,teacher=off',
      CLASSLAB_JOB_MAX_AGE: 'student=90m,teacher=2d',
      CLASSLAB_LOCAL_GPUS: '0,1',
      CLASSLAB_IMAGE_CATALOG: JSON.stringify([{ name: 'rstudio', match: ['rocker/*'], ports: [{ name: 'rstudio', port: 8787 }] }]),
    });
    expect(fromEnv).toMatchObject({
      runtime: 'kubernetes',
      jobLimits: { student: 2, teacher: undefined },
      jobMaxAge: { student: 5400, teacher: 172_800 },
      localGpus: ['0', '1'],
      imageCatalog: [{ name: 'rstudio', ports: [{ name: 'rstudio', port: 8787 }] }],
    });
    const path = file(
      'structured.json',
      JSON.stringify({
        CLASSLAB_JOB_LIMITS: { student: 3 },
        CLASSLAB_OAUTH_CLIENTS: [{ id: 'ui', secret: 'a-secret-of-sixteen+', redirect_uris: ['https://lab.example.edu/cb'] }],
      }),
    );
    const fromFile = loadConfig({}, path);
    expect(fromFile.jobLimits).toEqual({ student: 3 });
    expect(fromFile.oauthClients).toMatchObject([{ id: 'ui', redirectUris: ['https://lab.example.edu/cb'] }]);
  });

  it.each([
    ['CLASSLAB_RUNTIME', 'docker', /CLASSLAB_RUNTIME must be one of local, kubernetes/],
    ['CLASSLAB_JOB_LIMITS', 'student', /CLASSLAB_JOB_LIMITS must be role=value pairs/],
    ['CLASSLAB_JOB_IDLE_TIMEOUT', 'student=soon', /CLASSLAB_JOB_IDLE_TIMEOUT "soon" is not a duration/],
    ['CLASSLAB_IMAGE_CATALOG', '[{"name":"x"}]', /CLASSLAB_IMAGE_CATALOG is not a valid image catalog/],
    ['CLASSLAB_LOCAL_GPUS', '0,0', /CLASSLAB_LOCAL_GPUS names a GPU twice/],
    ['CLASSLAB_JOB_CPU_LIMIT', 'lots', /CLASSLAB_JOB_CPU_LIMIT must be a Kubernetes quantity/],
    ['CLASSLAB_NAMESPACE', 'Lab_1', /CLASSLAB_NAMESPACE must be a lowercase DNS name/],
    // A CPU quantity would take these; a home of 0.5 bytes, or none, is a mistake.
    ['CLASSLAB_HOME_CAPACITY', '500m', /CLASSLAB_HOME_CAPACITY must be a positive size such as 10Gi/],
    ['CLASSLAB_HOME_CAPACITY', '0', /CLASSLAB_HOME_CAPACITY must be a positive size/],
  ])('refuses %s=%s in one line naming it', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });
});

describe('metrics settings', () => {
  it.each([
    [{}, 'api'],
    [{ CLASSLAB_METRICS_PORT: 'off' }, null],
    [{ CLASSLAB_METRICS_PORT: '9464' }, { host: '127.0.0.1', port: 9464 }],
    [{ CLASSLAB_METRICS_PORT: '0.0.0.0:9464' }, { host: '0.0.0.0', port: 9464 }],
  ])('CLASSLAB_METRICS_PORT of %j is %j', (env, expected) => {
    expect(loadConfig(env).metricsListen).toEqual(expected);
  });

  it.each([
    [{ CLASSLAB_METRICS_PORT: 'api:80x' }, 'Invalid configuration: CLASSLAB_METRICS_PORT must be api, off, a port, or host:port, got "api:80x"'],
    [{ CLASSLAB_METRICS_TOKEN: 'short' }, 'Invalid configuration: CLASSLAB_METRICS_TOKEN must be at least 16 characters'],
  ])('%j is refused in one line', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
