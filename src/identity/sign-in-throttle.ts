import type { Logger } from 'pino';
import { MemoryFailureCounts, type FailureCounts } from './failure-counts.js';
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
  /** Names and addresses remembered at once in memory; the oldest are forgotten first. */
  maxEntries?: number;
  /** Where failures are counted, per kind of key; in this process's memory when absent. */
  counts?: (kind: 'user' | 'address') => FailureCounts;
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
 * checked, so a lock answers nothing about the password. Counted in memory (each replica its
 * own share, forgotten on restart) or, given shared `counts`, in the database.
 */
export class SignInThrottle {
  private readonly byUser: FailureCounts;
  private readonly byAddress: FailureCounts;

  constructor(private readonly options: ThrottleOptions) {
    const counts =
      options.counts ?? (() => new MemoryFailureCounts(options.windowSeconds, () => (options.now?.() ?? new Date()).getTime(), options.maxEntries));
    this.byUser = counts('user');
    this.byAddress = counts('address');
  }

  /** Runs `verify` unless the attempt is locked; counts it when it proves a wrong name or password. */
  async guard<T>(attempt: Attempt, verify: () => Promise<T>): Promise<T> {
    const userKey = attempt.name.toLowerCase();
    const waits = await Promise.all([
      this.lockedFor(this.byUser, userKey, this.options.failuresPerUser),
      this.lockedFor(this.byAddress, attempt.address, this.options.failuresPerAddress),
    ]);
    const wait = Math.max(...waits);
    if (wait > 0) throw tooManyAttempts(wait);
    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (error instanceof IdentityError && (error.status === Status.UserPasswordNotMatch || error.status === Status.UserNotFound)) {
        await this.fail(this.byUser, userKey, this.options.failuresPerUser, attempt);
        await this.fail(this.byAddress, attempt.address, this.options.failuresPerAddress, attempt);
      }
      throw error;
    }
    await this.byUser.forget(userKey);
    return result;
  }

  /** Seconds until the key may try again; 0 when it may now. */
  private async lockedFor(counts: FailureCounts, key: string | undefined, limit: number): Promise<number> {
    return key === undefined ? 0 : counts.waitFor(key, limit);
  }

  private async fail(counts: FailureCounts, key: string | undefined, limit: number, attempt: Attempt): Promise<void> {
    if (key === undefined) return;
    const failures = await counts.add(key);
    if (failures === limit) {
      // The name and address tell an operator who is targeted and from where; never the password.
      this.options.logger?.warn(
        { user: attempt.name, address: attempt.address, failures, lockedFor: await this.lockedFor(counts, key, limit), by: counts === this.byUser ? 'user' : 'address' },
        'sign-in locked after repeated wrong passwords',
      );
    }
  }
}

export function tooManyAttempts(retryAfterSeconds: number): IdentityError {
  return new IdentityError(Status.TooManyAttempts, `too many wrong passwords: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}
