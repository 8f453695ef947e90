/**
 * Seeded random input for the hostile suite. Every run draws a seed (or takes
 * CLASSLAB_HOSTILE_SEED), and every failure names it, so that any run can be repeated exactly.
 */

/** The seed of this run: CLASSLAB_HOSTILE_SEED when set, else a fresh one. */
export function runSeed(): number {
  const given = process.env.CLASSLAB_HOSTILE_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`CLASSLAB_HOSTILE_SEED must be a whole number from 0 to 4294967295, got ${JSON.stringify(given)}`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/** How to repeat a run, for failure messages. */
export function replayHint(seed: number, file: string): string {
  return `seed ${seed}: repeat with CLASSLAB_HOSTILE_SEED=${seed} npx vitest run ${file}`;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A length that is usually small and now and then large: sizes spread over orders of magnitude. */
  size(max: number): number {
    return Math.min(max, Math.floor(Math.exp(this.next() * Math.log(max + 1))) - 1 + this.int(0, 1));
  }
}

/** Strings that have broken parsers, databases and templates before. */
const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n\r',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '%00',
  '%s%s%s%n',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '..\\..\\windows',
  'http://[::1]:8080/',
  'file:///etc/shadow',
  'A'.repeat(65),
  'a'.repeat(257),
  'Ä'.repeat(40),
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\ud83d\ude00\ud83d\udca9',
  '\ud800', // a lone surrogate: not valid UTF-16 text
  '\udfff\ud800',
  '\ufeffbom',
  '\u200b',
  '\u0001\u0002\u001f',
  '\u007f',
  'Admin',
  'ADMIN',
  'admin ',
  'admin\n',
];

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@:/ ';

export function randomString(random: Random, maxLength = 300): string {
  if (random.chance(0.35)) return random.pick(NASTY_STRINGS);
  const length = random.size(maxLength);
  let text = '';
  for (let i = 0; i < length; i += 1) {
    const roll = random.next();
    if (roll < 0.85) text += ALPHABET[random.int(0, ALPHABET.length - 1)];
    else if (roll < 0.95) text += String.fromCharCode(random.int(0x80, 0xffff));
    else text += String.fromCharCode(random.int(1, 0x1f));
  }
  return text;
}

/** encodeURIComponent, which throws on lone surrogates: they become U+FFFD first. */
export function encodeAny(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** A version 4 UUID drawn from the seed, so that it repeats with the run. */
export function randomUuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => random.int(0, 15).toString(16));
  hex[12] = '4';
  hex[16] = (8 + random.int(0, 3)).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

const NASTY_NUMBERS: readonly number[] = [0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 65535, 65536, 17, 16];

export function randomNumber(random: Random): number {
  if (random.chance(0.5)) return random.pick(NASTY_NUMBERS);
  return random.chance(0.5) ? random.int(-1000, 1000) : (random.next() - 0.5) * 10 ** random.int(0, 30);
}

/** Any JSON value: shapes, depths and sizes of every kind, sometimes deeper than any body should be. */
export function randomJson(random: Random, depth = 0, maxDepth = random.chance(0.1) ? 90 : 8): unknown {
  const roll = random.next();
  if (depth >= maxDepth || roll < 0.3) {
    return random.pick([() => null, () => random.chance(0.5), () => randomNumber(random), () => randomString(random)])();
  }
  if (roll < 0.6) {
    return Array.from({ length: depth > 3 ? random.int(0, 2) : random.size(40) }, () => randomJson(random, depth + 1, maxDepth));
  }
  const object: Record<string, unknown> = {};
  const keys = depth > 3 ? random.int(0, 2) : random.size(30);
  for (let i = 0; i < keys; i += 1) object[randomString(random, 40)] = randomJson(random, depth + 1, maxDepth);
  return object;
}

/** Texts that are not quite JSON, or are JSON of a size or shape no route expects. */
export function randomRawBody(random: Random): string {
  const valid = JSON.stringify(randomJson(random));
  return random.pick<() => string>([
    () => valid.slice(0, random.int(0, valid.length)),
    () => valid + random.pick(['}', ']', ',', '\u0000', ' garbage', '{}']),
    () => valid.replace(/"/g, "'"),
    () => '['.repeat(random.int(60, 5000)),
    () => '{"a":'.repeat(random.int(60, 3000)) + '1' + '}'.repeat(random.int(0, 3000)),
    () => `"${'\\u0000'.repeat(random.int(1, 4))}"`,
    () => `{"x":"\\ud800"}`,
    () => `{"__proto__":{"admin":true},"user":"x"}`,
    () => `{"constructor":{"prototype":{"isAdmin":true}}}`,
    () => Array.from({ length: random.size(2000) }, () => String.fromCharCode(random.int(0, 255))).join(''),
    () => `{"a":"${'x'.repeat(random.int(1, 1.1 * 1024 * 1024))}"}`,
    () => `user_name=admin&password=${encodeAny(randomString(random))}`,
    () => '1'.repeat(random.int(1, 400)),
    () => '-'.repeat(random.int(1, 50)) + '0',
    () => '',
  ])();
}
