import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/identity/service.js';
import { IdentityError, Status, type StatusCode } from '../../src/identity/status.js';
import { hashToken } from '../../src/identity/tokens.js';
import { courses, jobs, tokens, userRoles, users } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets } from '../support/stores.js';

async function refusal(work: Promise<unknown>): Promise<StatusCode> {
  try {
    await work;
  } catch (error) {
    if (error instanceof IdentityError) return error.status;
    throw error;
  }
  throw new Error('expected an IdentityError');
}

describe.each(storeTargets)('identity service on $name', (target) => {
  let store: Store;
  let identity: IdentityService;
  let now = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    store = await target.open();
    identity = new IdentityService(store.db, { tokenTtlSeconds: 3600, now: () => now });
  });
  afterAll(() => store?.close());

  it('has the three built-in roles from the start', async () => {
    await identity.createUser('roles-probe', 'password-1', ['admin', 'teacher', 'student']);
    expect((await identity.findUser({ name: 'roles-probe' }))?.roles).toEqual(['admin', 'student', 'teacher']);
  });

  it('creates students by default, and stores an argon2id hash, never the password', async () => {
    const user = await identity.createUser('alice', 'alice-password');
    expect(user.roles).toEqual(['student']);
    const [row] = await store.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.passwordHash).not.toContain('alice-password');
  });

  it('treats names that differ only by case as one name, and keeps the case that was typed', async () => {
    const dana = await identity.createUser('Dana.Lee', 'dana-password');
    expect(await refusal(identity.createUser('dana.lee', 'other-password'))).toBe(Status.UserAlreadyExisting);
    expect(await refusal(identity.createUser('DANA.LEE', 'other-password'))).toBe(Status.UserAlreadyExisting);
    // Even when both try at once: the index, not a prior lookup, decides.
    const racing = await Promise.allSettled([identity.createUser('Race', 'race-password'), identity.createUser('rACE', 'race-password')]);
    expect(racing.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(await identity.findUser({ name: 'dana.LEE' })).toEqual({ id: dana.id, name: 'Dana.Lee', roles: ['student'] });
    // Sign-in by name finds the user whatever the case, and the token says the name as typed at registration.
    const issued = await identity.authenticate('dana.lee', 'dana-password');
    expect((await identity.tokenOwner(issued.token)).name).toBe('Dana.Lee');
    expect(await refusal(identity.authenticate('DANA.lee', 'wrong-password'))).toBe(Status.UserPasswordNotMatch);
    await identity.addUserRole('DANA.LEE', 'teacher');
    expect((await identity.findUser({ id: dana.id }))?.roles).toEqual(['student', 'teacher']);
  });

  it('refuses a second user with the same name (40012), bad names and short passwords (40011)', async () => {
    await identity.createUser('bob', 'bob-password');
    expect(await refusal(identity.createUser('bob', 'another-password'))).toBe(Status.UserAlreadyExisting);
    expect(await refusal(identity.createUser('has space', 'password-1'))).toBe(Status.InvalidArgument);
    expect(await refusal(identity.createUser('', 'password-1'))).toBe(Status.InvalidArgument);
    expect(await refusal(identity.createUser('carol', 'short'))).toBe(Status.InvalidArgument);
    expect(await refusal(identity.createUser('carol', 'password-1', ['no-such-role']))).toBe(Status.RoleNotFound);
    expect(await identity.findUser({ name: 'carol' })).toBeUndefined(); // nothing half-written
  });

  it('accepts e-mail-like names such as jimmy@nchc', async () => {
    expect((await identity.createUser('jimmy@nchc', 'jimmy-password')).name).toBe('jimmy@nchc');
  });

  it('issues 128-bit tokens stored only as hashes, with the configured lifetime', async () => {
    await identity.createUser('dave', 'dave-password');
    const issued = await identity.authenticate('dave', 'dave-password');
    expect(issued.renewed).toBe(false);
    expect(Buffer.from(issued.token, 'base64url')).toHaveLength(16);
    expect(issued.expiresAt.getTime() - now.getTime()).toBe(3600 * 1000);
    const stored = await store.db.select().from(tokens).where(eq(tokens.hash, hashToken(issued.token)));
    expect(stored).toHaveLength(1);
    const everything = JSON.stringify(await store.db.select().from(tokens));
    expect(everything).not.toContain(issued.token);
  });

  it('tells an unknown user (40013) from a wrong password (40014)', async () => {
    expect(await refusal(identity.authenticate('nobody', 'whatever-1'))).toBe(Status.UserNotFound);
    expect(await refusal(identity.authenticate('dave', 'wrong-password'))).toBe(Status.UserPasswordNotMatch);
  });

  it("extends the caller's own valid token (20007) instead of creating another", async () => {
    const first = await identity.authenticate('dave', 'dave-password');
    now = new Date(now.getTime() + 600_000);
    const renewed = await identity.authenticate('dave', 'dave-password', first.token);
    expect(renewed).toMatchObject({ token: first.token, renewed: true });
    expect(renewed.expiresAt.getTime()).toBe(now.getTime() + 3600 * 1000);
    expect((await identity.tokenOwner(first.token)).expiresAt).toEqual(renewed.expiresAt);
  });

  it("does not extend someone else's token or an expired one", async () => {
    const alices = await identity.authenticate('alice', 'alice-password');
    const forDave = await identity.authenticate('dave', 'dave-password', alices.token);
    expect(forDave.renewed).toBe(false);
    expect(forDave.token).not.toBe(alices.token);
    expect((await identity.tokenOwner(alices.token)).name).toBe('alice');

    const old = await identity.authenticate('dave', 'dave-password');
    now = new Date(now.getTime() + 3601_000);
    const fresh = await identity.authenticate('dave', 'dave-password', old.token);
    expect(fresh.renewed).toBe(false);
    expect(await refusal(identity.tokenOwner(old.token))).toBe(Status.TokenExpired);
  });

  it('answers who owns a token, and refuses malformed (40020), unknown (40018) and expired (40019) ones', async () => {
    const issued = await identity.authenticate('alice', 'alice-password');
    expect(await identity.tokenOwner(issued.token)).toMatchObject({ name: 'alice', roles: ['student'] });
    expect(await refusal(identity.tokenOwner('not a token'))).toBe(Status.TokenIsInvalid);
    expect(await refusal(identity.tokenOwner('AAAAAAAAAAAAAAAAAAAAAA'))).toBe(Status.TokenNotFound);
    now = new Date(issued.expiresAt.getTime());
    expect(await refusal(identity.tokenOwner(issued.token))).toBe(Status.TokenExpired);
  });

  it('answers token checks that arrive together each with its own owner or refusal', async () => {
    now = new Date();
    const [alices, daves] = [await identity.authenticate('alice', 'alice-password'), await identity.authenticate('dave', 'dave-password')];
    const checks = await Promise.allSettled([identity.tokenOwner(daves.token), identity.tokenOwner('AAAAAAAAAAAAAAAAAAAAAA'), identity.tokenOwner(alices.token), identity.tokenOwner(daves.token)]);
    expect(checks.map((check) => (check.status === 'fulfilled' ? check.value.name : (check.reason as IdentityError).status))).toEqual(['dave', Status.TokenNotFound, 'alice', 'dave']);
  });

  it('invalidates a token (20009) once; the second time it is not found (40018)', async () => {
    const issued = await identity.authenticate('alice', 'alice-password');
    await identity.invalidate(issued.token);
    expect(await refusal(identity.tokenOwner(issued.token))).toBe(Status.TokenNotFound);
    expect(await refusal(identity.invalidate(issued.token))).toBe(Status.TokenNotFound);
    expect(await refusal(identity.invalidate('x'))).toBe(Status.TokenIsInvalid);
  });

  it('checks roles: ok, role missing from the token (40021), role that does not exist (40017)', async () => {
    const issued = await identity.authenticate('alice', 'alice-password');
    await expect(identity.checkRole(issued.token, 'student')).resolves.toBeUndefined();
    expect(await refusal(identity.checkRole(issued.token, 'teacher'))).toBe(Status.TokenRoleNotFound);
    expect(await refusal(identity.checkRole(issued.token, 'astronaut'))).toBe(Status.RoleNotFound);
  });

  it('grants roles once (40015 the second time) and knows unknown users and roles', async () => {
    await identity.addUserRole('alice', 'teacher');
    expect((await identity.findUser({ name: 'alice' }))?.roles).toEqual(['student', 'teacher']);
    expect(await refusal(identity.addUserRole('alice', 'teacher'))).toBe(Status.UserRoleAlreadyExisting);
    expect(await refusal(identity.addUserRole('nobody', 'teacher'))).toBe(Status.UserNotFound);
    expect(await refusal(identity.addUserRole('alice', 'astronaut'))).toBe(Status.RoleNotFound);
  });

  it('creates (40016 when it exists) and deletes (40017 when it does not) roles, but not built-in ones', async () => {
    await identity.createRole('assistant');
    expect(await refusal(identity.createRole('assistant'))).toBe(Status.RoleAlreadyExisting);
    expect(await refusal(identity.createRole('Bad Role'))).toBe(Status.InvalidArgument);
    await identity.addUserRole('bob', 'assistant');
    await identity.deleteRole('assistant');
    expect((await identity.findUser({ name: 'bob' }))?.roles).toEqual(['student']);
    expect(await refusal(identity.deleteRole('assistant'))).toBe(Status.RoleNotFound);
    for (const builtIn of ['admin', 'teacher', 'student']) {
      expect(await refusal(identity.deleteRole(builtIn))).toBe(Status.InvalidArgument);
    }
  });

  it('deletes a user only with the right password, and their tokens with them', async () => {
    await identity.createUser('erin', 'erin-password');
    const issued = await identity.authenticate('erin', 'erin-password');
    expect(await refusal(identity.deleteUser('erin', 'wrong-password'))).toBe(Status.UserPasswordNotMatch);
    expect(await refusal(identity.deleteUser('nobody', 'erin-password'))).toBe(Status.UserNotFound);
    await identity.deleteUser('erin', 'erin-password');
    expect(await identity.findUser({ name: 'erin' })).toBeUndefined();
    expect(await refusal(identity.tokenOwner(issued.token))).toBe(Status.TokenNotFound);
  });

  it('refuses to remove the last admin, as a user or as a role', async () => {
    await identity.createUser('root1', 'root1-password', ['admin']);
    expect(await identity.countUsersWithRole('admin')).toBe(2); // roles-probe and root1
    await identity.removeUserRole('roles-probe', 'admin'); // allowed: root1 remains
    const refused = await identity.removeUser({ name: 'root1' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(IdentityError);
    expect((refused as IdentityError).conflict).toBe(true);
    expect(await refusal(identity.removeUserRole('root1', 'admin'))).toBe(Status.InvalidArgument);
    expect(await identity.countUsersWithRole('admin')).toBe(1);
  });

  it('never leaves the platform without an admin, even when two admins remove each other at once', async () => {
    await identity.createUser('twin-a', 'twin-a-password', ['admin']);
    await identity.createUser('twin-b', 'twin-b-password', ['admin']);
    // Leave the twins as the only admins.
    const admins = await store.db.select({ name: users.name }).from(users).innerJoin(userRoles, eq(userRoles.userId, users.id)).where(eq(userRoles.roleName, 'admin'));
    for (const { name } of admins) if (!name.startsWith('twin-')) await identity.removeUserRole(name, 'admin');
    const outcomes = await Promise.allSettled([identity.removeUser({ name: 'twin-a' }), identity.removeUser({ name: 'twin-b' })]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await identity.countUsersWithRole('admin')).toBe(1);
  });

  it('gives a role asked for twice once', async () => {
    expect((await identity.createUser('twice', 'twice-password', ['teacher', 'teacher', 'student'])).roles).toEqual(['student', 'teacher']);
  });

  it('refuses to delete a user whose jobs still run, and allows it once they ended', async () => {
    const owner = await identity.createUser('frank', 'frank-password', ['teacher']);
    const [course] = await store.db
      .insert(courses)
      .values({ ownerId: owner.id, name: 'c', image: 'i', gpu: 0, level: 'basic' })
      .returning();
    const [job] = await store.db
      .insert(jobs)
      .values({ courseId: course!.id, userId: owner.id, status: 'Ready' })
      .returning();
    const refused = await identity.removeUser({ name: 'frank' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: Status.InvalidArgument, conflict: true });
    expect((refused as Error).message).toMatch(/still has 1 running job/);
    await store.db.update(jobs).set({ status: 'Deleted' }).where(eq(jobs.id, job!.id));
    await identity.removeUser({ name: 'frank' });
    // The course outlives its author, owned by no one.
    const [kept] = await store.db.select().from(courses).where(eq(courses.id, course!.id));
    expect(kept?.ownerId).toBeNull();
  });

  it('reports changes, so that caches of token decisions can be dropped', async () => {
    let changes = 0;
    const stop = identity.onChange(() => {
      changes += 1;
    });
    const issued = await identity.authenticate('bob', 'bob-password');
    expect(changes).toBe(0);
    await identity.invalidate(issued.token);
    await identity.addUserRole('bob', 'teacher');
    await identity.removeUserRole('bob', 'teacher');
    expect(changes).toBe(3);
    stop();
  });

  it('purges tokens that expired long ago, and keeps recent ones', async () => {
    const issued = await identity.authenticate('bob', 'bob-password');
    const purged = await identity.purgeTokensExpiredBefore(new Date(now.getTime() - 1000));
    expect(purged).toBeGreaterThan(0);
    expect((await identity.tokenOwner(issued.token)).name).toBe('bob');
  });
});
