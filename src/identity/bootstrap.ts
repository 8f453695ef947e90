import { randomBytes } from 'node:crypto';
import type { IdentityService } from './service.js';
import { IdentityError, Status } from './status.js';

export interface AdminSettings {
  adminUser: string;
  adminPassword: string | undefined;
}

export type AdminBootstrap =
  | { outcome: 'exists' }
  | { outcome: 'created'; user: string; generatedPassword?: string }
  | { outcome: 'name-taken'; user: string };

/**
 * On first start there is no admin: create one from the settings, generating a password when
 * none is given. The caller prints a generated password once; it is never stored in clear.
 */
export async function ensureAdmin(identity: IdentityService, settings: AdminSettings): Promise<AdminBootstrap> {
  if ((await identity.countUsersWithRole('admin')) > 0) return { outcome: 'exists' };
  const generatedPassword = settings.adminPassword === undefined ? randomBytes(18).toString('base64url') : undefined;
  try {
    await identity.createUser(settings.adminUser, settings.adminPassword ?? (generatedPassword as string), ['admin']);
  } catch (error) {
    if (!(error instanceof IdentityError && error.status === Status.UserAlreadyExisting)) throw error;
    // Either another process starting at the same moment created it, or a non-admin has the name.
    if ((await identity.countUsersWithRole('admin')) > 0) return { outcome: 'exists' };
    return { outcome: 'name-taken', user: settings.adminUser };
  }
  return generatedPassword === undefined
    ? { outcome: 'created', user: settings.adminUser }
    : { outcome: 'created', user: settings.adminUser, generatedPassword };
}
