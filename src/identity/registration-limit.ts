/**
 * How many accounts one address may register in a window. Each account brings its own job quota,
 * so without it one person multiplies their share of the machine by registering more. Counted in
 * memory, per server: with several replicas, each allows its own count.
 */

import type { RegistrationRule } from '../config/settings.js';
import { WindowCounter } from '../common/window-counter.js';
import { IdentityError, Status } from './status.js';

export class RegistrationLimit {
  private readonly counter: WindowCounter | undefined;

  constructor(
    /** Undefined: no limit. */
    private readonly rule: RegistrationRule | undefined,
    now: () => number = Date.now,
  ) {
    this.counter = rule ? new WindowCounter(rule.windowSeconds, now) : undefined;
  }

  /** Counts a registration from `address`, or refuses it with 40029 and when to try again. */
  admit(address: string): void {
    if (!this.rule || !this.counter) return;
    const retryAfterSeconds = this.counter.waitFor(address, this.rule.max);
    if (retryAfterSeconds > 0) {
      throw new IdentityError(
        Status.TooManyAttempts,
        `too many accounts registered from this address: ${this.rule.max} in ${this.rule.windowSeconds} s (CLASSLAB_REGISTRATION_RATE_LIMIT); try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    this.counter.add(address);
  }
}
