import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Algorithm.Argon2id: a const enum, which isolated modules cannot import by name. */
const ARGON2ID = 2 as Algorithm;

/** OWASP's recommended argon2id parameters: 19 MiB, two passes, one lane. */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a corrupt hash proves nothing
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification when the user does not exist, so that response time does
 * not reveal which names are taken any faster than the status code already does.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('classlab-dummy-password');
  await verifyPassword(await dummyHash, password);
}
