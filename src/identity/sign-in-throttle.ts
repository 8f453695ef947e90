import type { Logger } from 'pino';
import { WindowCounter } from '../common/window-counter.js';
import { IdentityError, Status } from './status.js';

export interface SignInLimits {
  /** Wrong passwords for one user name, from anywhere, before that name is locked. */
  failuresPerUser: number;
  /** Wrong passwords from one address, for any names, before that address is locked. */
  failuresPerAddress: number;
  /** How long failures are counted from the first one, and so the longest a lock lasts. */
  windowSeconds: number;
}

export interface ThrottleOptions extends SignInLimits {
  logger?: Logger;
  now?: () => Date;
  /** Names and addresses remembered at once; the oldest are forgotten first. */
  maxEntries?: number;
}

/** Who is trying: the user name typed, and the client's address when there is one. */
export interface Attempt {
  name: string;
  address?: string | undefined;
}

/**
 * Counts wrong passwords, per user name and per client address, and locks either for the rest
 * of its window once it has too many. Correct passwords are not counted, so a class signing in
 * from one address is not refused; a locked name or address is refused before its password is
 * checked, so a lock answers nothing about the password. Kept in this process's memory: with
 * several replicas, each counts its own share, and a restart forgets.
 */
export class SignInThrottle {
  private readonly byUser: WindowCounter;
  private readonly byAddress: WindowCounter;

  constructor(private readonly options: ThrottleOptions) {
    const counter = () => new WindowCounter(options.windowSeconds, () => (options.now?.() ?? new Date()).getTime(), options.maxEntries);
    this.byUser = counter();
    this.byAddress = counter();
  }

  /** Runs `verify` unless the attempt is locked; counts it when it proves a wrong name or password. */
  async guard<T>(attempt: Attempt, verify: () => Promise<T>): Promise<T> {
    const userKey = attempt.name.toLowerCase();
    const wait = Math.max(this.lockedFor(this.byUser, userKey, this.options.failuresPerUser), this.lockedFor(this.byAddress, attempt.address, this.options.failuresPerAddress));
    if (wait > 0) throw tooManyAttempts(wait);
    try {
      const result = await verify();
      this.byUser.forget(userKey);
      return result;
    } catch (error) {
      if (error instanceof IdentityError && (error.status === Status.UserPasswordNotMatch || error.status === Status.UserNotFound)) {
        this.fail(this.byUser, userKey, this.options.failuresPerUser, attempt);
        this.fail(this.byAddress, attempt.address, this.options.failuresPerAddress, attempt);
      }
      throw error;
    }
  }

  /** Seconds until the key may try again; 0 when it may now. */
  private lockedFor(counts: WindowCounter, key: string | undefined, limit: number): number {
    return key === undefined ? 0 : counts.waitFor(key, limit);
  }

  private fail(counts: WindowCounter, key: string | undefined, limit: number, attempt: Attempt): void {
    if (key === undefined) return;
    const failures = counts.add(key);
    if (failures === limit) {
      // The name and address tell an operator who is targeted and from where; never the password.
      this.options.logger?.warn(
        { user: attempt.name, address: attempt.address, failures, lockedFor: this.lockedFor(counts, key, limit), by: counts === this.byUser ? 'user' : 'address' },
        'sign-in locked after repeated wrong passwords',
      );
    }
  }
}

export function tooManyAttempts(retryAfterSeconds: number): IdentityError {
  return new IdentityError(Status.TooManyAttempts, `too many wrong passwords: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}
