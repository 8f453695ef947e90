import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitHubEndpoints } from '../../src/oauth/github.js';

export interface GitHubUser {
  login: string;
  id: number;
  email: string | null;
}

export interface FakeGitHub {
  endpoints: GitHubEndpoints;
  clientId: string;
  clientSecret: string;
  /** What GitHub's authorize page would hand back after `user` signed in: a one-time code. */
  codeFor(user: GitHubUser, codeChallenge?: string): string;
  /** A token as if issued earlier, without a code exchange. */
  tokenFor(user: GitHubUser): string;
  /** Requests so far, as `METHOD /path`. */
  requests: string[];
  stop(): Promise<void>;
}

interface PendingCode {
  user: GitHubUser;
  codeChallenge: string | undefined;
}

const DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

/**
 * A stand-in for github.com and api.github.com on loopback, answering as GitHub does: the token
 * endpoint takes form or JSON, answers form unless asked for JSON, and reports errors with HTTP 200;
 * the API takes `Bearer` or `token` credentials and answers 401 "Bad credentials".
 */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const clientId = 'Iv1.fakeclientid';
  const clientSecret = 'a-client-secret-of-the-fake-github';
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, GitHubUser>();
  const requests: string[] = [];

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    requests.push(`${request.method} ${path}`);
    handle(request, response, path).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    if (request.method === 'POST' && path === '/login/oauth/access_token') {
      const parameters = await readParameters(request);
      const answer = exchange(parameters);
      const wantsJson = (request.headers.accept ?? '').includes('application/json');
      // GitHub answers 200 even for errors; only the body tells.
      if (wantsJson) {
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
      } else {
        response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams(answer).toString());
      }
      return;
    }
    if (request.method === 'GET' && (path === '/user' || path === '/user/emails')) {
      const [scheme, token] = (request.headers.authorization ?? '').split(' ');
      const user = token && (scheme === 'Bearer' || scheme === 'token') ? tokens.get(token) : undefined;
      if (!user) {
        sendJson(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
        return;
      }
      if (path === '/user') sendJson(response, 200, { login: user.login, id: user.id, email: user.email, type: 'User', site_admin: false });
      else sendJson(response, 200, user.email ? [{ email: user.email, primary: true, verified: true, visibility: 'private' }] : []);
      return;
    }
    sendJson(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  }

  function exchange(parameters: Record<string, string>): Record<string, string> {
    if (parameters.client_id !== clientId || parameters.client_secret !== clientSecret) {
      return {
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
        error_uri: `${DOCS}#incorrect-client-credentials`,
      };
    }
    const pending = codes.get(parameters.code ?? '');
    codes.delete(parameters.code ?? '');
    const verified = createHash('sha256').update(parameters.code_verifier ?? '').digest('base64url');
    if (!pending || (pending.codeChallenge && verified !== pending.codeChallenge)) {
      return {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri: `${DOCS}#bad-verification-code`,
      };
    }
    return { access_token: issue(pending.user), token_type: 'bearer', scope: 'read:user,user:email' };
  }

  function issue(user: GitHubUser): string {
    const token = `gho_${randomBytes(18).toString('base64url')}`;
    tokens.set(token, user);
    return token;
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoints: { web: base, api: base },
    clientId,
    clientSecret,
    codeFor(user, codeChallenge) {
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user, codeChallenge });
      return code;
    },
    tokenFor: issue,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readParameters(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
