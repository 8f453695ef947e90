import type { User } from './types';

/**
 * The signed-in person. The access token lives in this module's memory only (never in storage,
 * never in a URL); the refresh token is an HttpOnly cookie that only /oauth/session/* reads.
 */
export type SessionState =
  /** `retrying`: the server could not be reached (or failed) at start-up; tried again soon. */
  | { status: 'starting'; retrying?: boolean }
  | { status: 'signed-in'; user: User }
  | { status: 'signed-out'; message?: string };

const APP_HEADER = { 'X-Classlab-App': '1' };
/** Renew this long before the access token runs out. */
const RENEW_EARLY_S = 60;
const MIN_RENEW_DELAY_S = 5;

let state: SessionState = { status: 'starting' };
let accessToken: string | undefined;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | undefined;
const listeners = new Set<() => void>();

function setState(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const sessionState = (): SessionState => state;
export const currentToken = (): string | undefined => accessToken;

export function hasRole(role: string): boolean {
  return state.status === 'signed-in' && state.user.roles.includes(role);
}

interface RefreshAnswer {
  access_token: string;
  expires_in: number;
  user: User;
}

async function postSession(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`/oauth/session/${path}`, { method: 'POST', credentials: 'same-origin', headers: { ...APP_HEADER, ...headers } });
}

/** The server's words for why the session ended, or undefined when it said nothing usable. */
async function messageOf(response: Response): Promise<string | undefined> {
  const body = (await response.json().catch(() => undefined)) as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : undefined;
}

async function doRefresh(endMessage: boolean): Promise<boolean> {
  let response: Response | undefined;
  try {
    response = await postSession('refresh');
  } catch {
    response = undefined;
  }
  if (!response || response.status >= 500) {
    // Unreachable or failing server: keep the session; the timer tries again.
    scheduleRenewal(MIN_RENEW_DELAY_S * 2);
    if (state.status === 'starting') setState({ status: 'starting', retrying: true });
    return state.status === 'signed-in';
  }
  if (!response.ok) {
    const message = await messageOf(response);
    endSession(endMessage ? message : undefined);
    return false;
  }
  const answer = (await response.json()) as RefreshAnswer;
  accessToken = answer.access_token;
  scheduleRenewal(answer.expires_in - RENEW_EARLY_S);
  setState({ status: 'signed-in', user: answer.user });
  return true;
}

function scheduleRenewal(seconds: number): void {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(() => void refreshSession(), Math.max(seconds, MIN_RENEW_DELAY_S) * 1000);
}

/**
 * Gets a fresh access token from the cookie. Concurrent callers share one request, since the
 * server rotates the cookie and a second use of the old one would end the session.
 */
export function refreshSession(endMessage = true): Promise<boolean> {
  refreshing ??= doRefresh(endMessage).finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** At start-up: a missing cookie is no error, just a person who has not signed in yet. */
export function startSession(): Promise<boolean> {
  if (state.status !== 'signed-in') setState({ status: 'starting' });
  return refreshSession(false);
}

/** Forgets the token and shows the sign-in page, with why when there is a reason to say. */
export function endSession(message?: string): void {
  clearTimeout(renewTimer);
  accessToken = undefined;
  setState(message === undefined ? { status: 'signed-out' } : { status: 'signed-out', message });
}

export async function signOut(): Promise<void> {
  const token = accessToken;
  endSession();
  await postSession('sign-out', token ? { Authorization: `Bearer ${token}` } : {}).catch(() => undefined);
}
