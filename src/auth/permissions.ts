import { ServiceError } from '../common/errors.js';
import { sameUserName } from '../common/account-rules.js';
import type { Principal } from '../identity/service.js';

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes('admin');
}

export function canPublishCourses(principal: Principal): boolean {
  return isAdmin(principal) || principal.roles.includes('teacher');
}

/**
 * The token says who the caller is. A body `user` may only repeat that name, except for an
 * admin, who may act for anyone. (The original read the user from the body, so anyone could act
 * as anyone.)
 */
export function actingUserName(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || sameUserName(requested, principal.name)) return principal.name;
  if (isAdmin(principal)) return requested;
  throw new ServiceError(
    'forbidden',
    `Permission denied: you are signed in as ${principal.name} and cannot act for user ${requested}`,
  );
}
