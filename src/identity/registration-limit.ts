/**
 * How many accounts one address may register in a window. Each account brings its own job quota,
 * so without it one person multiplies their share of the machine by registering more. Counted in
 * memory, per server: with several replicas, each allows its own count.
 */

import { LRUCache } from 'lru-cache';
import type { RegistrationRule } from '../config/settings.js';
import { IdentityError, Status } from './status.js';

/** Addresses remembered at once; the oldest are forgotten first, which only ever allows more. */
const ADDRESSES_KEPT = 100_000;

export class RegistrationLimit {
  private readonly windows: LRUCache<string, { count: number; endsAt: number }> = new LRUCache({ max: ADDRESSES_KEPT });

  constructor(
    /** Undefined: no limit. */
    private readonly rule: RegistrationRule | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a registration from `address`, or refuses it with 40029 and when to try again. */
  admit(address: string): void {
    if (!this.rule) return;
    const now = this.now();
    const current = this.windows.get(address);
    const window = current && current.endsAt > now ? current : { count: 0, endsAt: now + this.rule.windowSeconds * 1000 };
    if (window.count >= this.rule.max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
      throw new IdentityError(
        Status.TooManyAttempts,
        `too many accounts registered from this address: ${this.rule.max} in ${this.rule.windowSeconds} s (CLASSLAB_REGISTRATION_RATE_LIMIT); try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    window.count += 1;
    this.windows.set(address, window);
  }
}
