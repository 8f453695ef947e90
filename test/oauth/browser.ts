import { createHash, randomBytes } from 'node:crypto';
import type { Answer, TestPlatform } from '../support/platform.js';

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function cookieOf(setCookie: unknown, name: string): string | undefined {
  const lines = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : [];
  for (const line of lines as string[]) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export interface LoginPage {
  csrf: string;
  cookie: string;
  /** The authorization request, as the form sends it back. */
  fields: Record<string, string>;
}

/** A browser opening the authorization endpoint: the form, its CSRF token, and the cookie that goes with it. */
export async function openLoginPage(platform: TestPlatform, query: Record<string, string>): Promise<LoginPage> {
  const page = await platform.call('GET', `/oauth/authorize?${new URLSearchParams(query)}`);
  if (page.status !== 200) throw new Error(`login page answered ${page.status}: ${page.text}`);
  const csrf = hiddenField(page.text, 'csrf');
  const cookie = cookieOf(page.headers['set-cookie'], 'classlab_login_csrf');
  if (!csrf || !cookie) throw new Error('login page without CSRF token or cookie');
  const fields: Record<string, string> = {};
  for (const match of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
  }
  return { csrf, cookie, fields };
}

/** Types the user's name and password into the form, and answers where the browser is sent. */
export async function submitLogin(platform: TestPlatform, page: LoginPage, username: string, password: string) {
  return platform.call('POST', '/oauth/authorize', {
    headers: { ...FORM, cookie: `classlab_login_csrf=${page.cookie}` },
    body: form({ ...page.fields, username, password }),
  });
}

/** The whole browser part: authorize, log in, and the code from the redirect. */
export async function signInForCode(
  platform: TestPlatform,
  user: { name: string; password: string },
  query: Record<string, string>,
): Promise<{ code: string; location: URL }> {
  const answer = await submitLogin(platform, await openLoginPage(platform, query), user.name, user.password);
  if (answer.status !== 302) throw new Error(`login answered ${answer.status}: ${answer.text}`);
  const location = new URL(String(answer.headers.location));
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`redirect without a code: ${location.href}`);
  return { code, location };
}

/** The cookies a browser holds for this server, as Set-Cookie lines change them. */
export class CookieJar {
  readonly cookies = new Map<string, { value: string; attributes: string }>();

  take(answer: Answer): void {
    for (const line of setCookieLines(answer)) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (clears(line) || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), { value, attributes: attributes.join(';').trim() });
    }
  }

  header(): string {
    return [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join('; ');
  }
}

function setCookieLines(answer: Answer): string[] {
  const header = answer.headers['set-cookie'];
  return Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
}

const clears = (line: string) => /max-age=0|expires=thu, 01 jan 1970/i.test(line);

/** The cookies an answer sets, not those it clears. */
export function cookieNames(answer: Answer): string[] {
  return setCookieLines(answer).filter((line) => !clears(line)).map((line) => line.split('=')[0] ?? '');
}
