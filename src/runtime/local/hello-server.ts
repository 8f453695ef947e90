/**
 * The built-in job environment: a small web page that says the job is running, which datasets it
 * can see, and when it was last used. It lets a fresh machine with only Node launch a course end
 * to end. Run as its own process by the local runtime (`{node} {hello} --host H --port P`), so it
 * imports nothing but node: modules and works both compiled (dist/) and as TypeScript under tsx.
 *
 * Routes: `/` the page, `/healthz` for the readiness probe, `/api/status` with `last_activity`
 * in Jupyter's shape so the runtime reads idleness from both the same way.
 */

import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

/** Requests the platform itself makes; they must not keep an idle job alive. */
const PROBE_PATHS = new Set(['/healthz', '/api/status']);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function visibleDatasets(folder: string | undefined): string[] {
  if (!folder) return [];
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

function page(jobId: string, datasets: string[], startedAt: Date): string {
  const datasetItems = datasets.length === 0 ? '<li><em>none</em></li>' : datasets.map((name) => `<li>${escapeHtml(name)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>classlab job ${escapeHtml(jobId)}</title></head>
<body>
<h1>Your classlab job is running</h1>
<p>Job <code>${escapeHtml(jobId)}</code>, started ${escapeHtml(startedAt.toISOString())}.</p>
<h2>Datasets</h2>
<ul>${datasetItems}</ul>
</body>
</html>
`;
}

function main(): void {
  const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' } } });
  const jobId = process.env.CLASSLAB_JOB_ID ?? 'unknown';
  const datasetsFolder = process.env.CLASSLAB_DATASETS;
  const startedAt = new Date();
  let lastActivity = startedAt;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://job').pathname;
    if (!PROBE_PATHS.has(path)) lastActivity = new Date();
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/api/status') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ job_id: jobId, started: startedAt.toISOString(), last_activity: lastActivity.toISOString() }));
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(jobId, visibleDatasets(datasetsFolder), startedAt));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  server.on('error', (error) => {
    console.error(`hello server: ${error.message}`);
    process.exit(1);
  });
  server.listen(Number(values.port), values.host, () => {
    console.error(`hello server for job ${jobId} listening on ${values.host}:${values.port}`);
  });

  // Stop answering at once on SIGTERM so the runtime's stop is quick and clean.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
}

main();
