import { sql, type SQL } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, boolean } from 'drizzle-orm/pg-core';
import type { PortSpec, ServiceUrl } from '../common/job-ports.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** As the user typed it, for display; unique regardless of case (`Admin` is `admin`). */
    name: text('name').notNull().unique(),
    /** argon2id, in the PHC string format. */
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('users_name_lower_unique').on(sql`lower(${table.name})`)],
);

/** The user of this name, whatever its case; served by users_name_lower_unique. */
export function userNamed(name: string): SQL {
  return sql`lower(${users.name}) = ${name.toLowerCase()}`;
}

export const roles = pgTable('roles', {
  name: text('name').primaryKey(),
  /** admin, teacher and student: the platform's rules depend on them, so they cannot be deleted. */
  builtIn: boolean('built_in').notNull().default(false),
  createdAt: createdAt(),
});

export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleName: text('role_name')
      .notNull()
      .references(() => roles.name, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.roleName] }), index('user_roles_role_idx').on(table.roleName)],
);

export const tokens = pgTable(
  'tokens',
  {
    /** SHA-256 of the token, hex. The token itself is never stored. */
    hash: text('hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('tokens_user_idx').on(table.userId), index('tokens_expires_idx').on(table.expiresAt)],
);

export const COURSE_LEVELS = ['basic', 'advance'] as const;
export type CourseLevel = (typeof COURSE_LEVELS)[number];

export const courses = pgTable(
  'courses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A course outlives its author's account: it then belongs to no one, and admins manage it. */
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    introduction: text('introduction').notNull().default(''),
    image: text('image').notNull(),
    gpu: integer('gpu').notNull(),
    level: text('level', { enum: COURSE_LEVELS }).notNull(),
    /** Ports the course's image serves; empty means the image catalog decides. */
    ports: jsonb('ports').$type<PortSpec[]>().notNull().default([]),
    /** Where the student's home is mounted in the job; null means the image catalog's, else the setting's. */
    homePath: text('home_path'),
    createdAt: createdAt(),
  },
  (table) => [
    index('courses_level_idx').on(table.level, table.createdAt),
    index('courses_owner_idx').on(table.ownerId, table.createdAt),
    check('courses_gpu_range', sql`${table.gpu} between 0 and 16`),
    check('courses_level_known', sql`${table.level} in ('basic', 'advance')`),
  ],
);

export const courseDatasets = pgTable(
  'course_datasets',
  {
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    dataset: text('dataset').notNull(),
    /** Keeps the teacher's order. */
    position: integer('position').notNull(),
  },
  (table) => [primaryKey({ columns: [table.courseId, table.dataset] })],
);

// ---------------------------------------------------------------------------------------------
// Classrooms (issue 17): who is in a class, which courses it uses, and when it may launch them.
// ---------------------------------------------------------------------------------------------

export const CLASS_ROLES = ['teacher', 'ta', 'student'] as const;
export type ClassRole = (typeof CLASS_ROLES)[number];
export const WINDOW_END_ACTIONS = ['keep', 'stop'] as const;
export type WindowEndAction = (typeof WINDOW_END_ACTIONS)[number];

export const classrooms = pgTable(
  'classrooms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Every signed-in user may see it and join it as a student. */
    public: boolean('public').notNull().default(false),
    /** IANA zone the windows are written in, e.g. Europe/Berlin. */
    timeZone: text('time_zone').notNull(),
    /** What happens to the class's jobs when a window ends: kept, or stopped after the grace. */
    windowEndAction: text('window_end_action', { enum: WINDOW_END_ACTIONS }).notNull().default('keep'),
    graceMinutes: integer('grace_minutes').notNull().default(0),
    /** GPUs held for the class's members while one of its windows is open. */
    reservedGpu: integer('reserved_gpu').notNull().default(0),
    /** How long before a window placeholders warm the cluster (Kubernetes, when enabled). */
    leadMinutes: integer('lead_minutes').notNull().default(10),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('classrooms_window_end_known', sql`${table.windowEndAction} in ('keep', 'stop')`),
    check('classrooms_grace_range', sql`${table.graceMinutes} between 0 and 1440`),
    check('classrooms_reserved_gpu_range', sql`${table.reservedGpu} >= 0`),
    check('classrooms_lead_range', sql`${table.leadMinutes} between 0 and 1440`),
  ],
);

export const classroomMembers = pgTable(
  'classroom_members',
  {
    classroomId: uuid('classroom_id')
      .notNull()
      .references(() => classrooms.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: CLASS_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.classroomId, table.userId] }),
    index('classroom_members_user_idx').on(table.userId),
    check('classroom_members_role_known', sql`${table.role} in ('teacher', 'ta', 'student')`),
  ],
);

export const classroomCourses = pgTable(
  'classroom_courses',
  {
    classroomId: uuid('classroom_id')
      .notNull()
      .references(() => classrooms.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    /** Keeps the teacher's order. */
    position: integer('position').notNull(),
  },
  (table) => [primaryKey({ columns: [table.classroomId, table.courseId] }), index('classroom_courses_course_idx').on(table.courseId)],
);

/** Launch windows as dated instants: recurrence is expanded when it is written, in the class's zone. */
export const classroomWindows = pgTable(
  'classroom_windows',
  {
    classroomId: uuid('classroom_id')
      .notNull()
      .references(() => classrooms.id, { onDelete: 'cascade' }),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.classroomId, table.startsAt] }),
    index('classroom_windows_ends_idx').on(table.endsAt),
    check('classroom_windows_order', sql`${table.endsAt} > ${table.startsAt}`),
  ],
);

/**
 * A launched course. The jobs service writes every row; runtimes only report. `Created` means the
 * row exists and the runtime's objects are being made; `Failed` and `Deleted` are final.
 */
export const JOB_STATUSES = ['Created', 'Pending', 'Ready', 'Failed', 'Deleted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const ACTIVE_JOB_STATUSES = ['Created', 'Pending', 'Ready'] as const satisfies readonly JobStatus[];

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('Created'),
    reason: text('reason'),
    /** GPUs held, copied from the course at launch, so capacity is summed without joins. */
    gpu: integer('gpu').notNull().default(0),
    /** The URLs to open, as the runtime answered them. */
    services: jsonb('services').$type<ServiceUrl[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** The classroom it was launched through, if any: its windows gate and may end it. */
    classroomId: uuid('classroom_id').references(() => classrooms.id, { onDelete: 'set null' }),
  },
  (table) => [
    index('jobs_course_idx').on(table.courseId),
    index('jobs_classroom_idx').on(table.classroomId).where(sql`${table.classroomId} is not null`),
    index('jobs_user_idx').on(table.userId),
    index('jobs_status_idx').on(table.status),
    check('jobs_status_known', sql`${table.status} in ('Created', 'Pending', 'Ready', 'Failed', 'Deleted')`),
  ],
);

/**
 * Each user's one persistent home, made at their first launch and mounted in every job they run.
 * No foreign key to users: deleting a user keeps their home by default, listed as orphaned.
 */
export const homes = pgTable('homes', {
  userId: uuid('user_id').primaryKey(),
  /** Derived once from the user id (never the name: two `jimmy`s from two providers differ). */
  name: text('name').notNull().unique(),
  /** The owner's name when the home was made or last renamed, to list orphaned homes by someone. */
  ownerName: text('owner_name').notNull(),
  /** Requested size, a Kubernetes quantity such as `10Gi`; only ever grows. */
  capacity: text('capacity').notNull(),
  createdAt: createdAt(),
});

export const USAGE_END_REASONS = ['deleted', 'culled', 'failed', 'course_deleted', 'lost'] as const;
export type UsageEndReason = (typeof USAGE_END_REASONS)[number];

/**
 * One row per job since it was admitted, kept forever: what was launched (copied, so editing or
 * deleting the course or the user changes no history), when it first ran, and when and why it
 * ended. GPU-hours are charged from `started_at`, so waiting for a GPU costs nothing.
 */
export const usageRecords = pgTable(
  'usage_records',
  {
    /** The job's id; no foreign key, since job rows go with their course or user. */
    jobId: uuid('job_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    userName: text('user_name').notNull(),
    courseId: uuid('course_id').notNull(),
    courseName: text('course_name').notNull(),
    /** The course's owner at launch, for a teacher's report on their own courses. */
    courseOwnerId: uuid('course_owner_id'),
    gpu: integer('gpu').notNull(),
    gpuResource: text('gpu_resource').notNull(),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason', { enum: USAGE_END_REASONS }),
    /** The classroom it was launched through, copied: earlier jobs, and jobs launched outside one, have none. */
    classroomId: uuid('classroom_id'),
    classroomName: text('classroom_name'),
    /** Last time a reconcile round saw the job alive: a record left open by a crash ends here. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('usage_records_started_idx').on(table.startedAt),
    index('usage_records_user_idx').on(table.userId, table.startedAt),
    index('usage_records_course_idx').on(table.courseId, table.startedAt),
    index('usage_records_owner_idx').on(table.courseOwnerId, table.startedAt),
    index('usage_records_classroom_idx').on(table.classroomId, table.startedAt),
    index('usage_records_open_idx').on(table.jobId).where(sql`${table.endedAt} is null`),
    check('usage_records_end_reason_known', sql`${table.endReason} is null or ${table.endReason} in ('deleted', 'culled', 'failed', 'course_deleted', 'lost')`),
    check('usage_records_gpu_range', sql`${table.gpu} >= 0`),
  ],
);

/**
 * Who runs the cluster-wide chores (reconciling, culling) when several servers share a database.
 * A holder renews its row before it expires; another takes over once it has.
 */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/**
 * Wrong passwords per key (a user name or a client address), counted in a window from the first:
 * in the database, so that every server on it counts them together.
 */
export const signInFailures = pgTable('sign_in_failures', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  since: timestamp('since', { withTimezone: true }).notNull(),
});
// ---------------------------------------------------------------------------------------------
// OAuth2 sign-in (issue 4): the built-in provider's codes and refresh tokens, and the link
// between an external provider's subject and a classlab user. Codes and tokens are stored as
// SHA-256 hashes, like identity tokens.
// ---------------------------------------------------------------------------------------------

export const oauthCodes = pgTable(
  'oauth_codes',
  {
    hash: text('hash').primaryKey(),
    clientId: text('client_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    redirectUri: text('redirect_uri'),
    scope: text('scope').notNull().default(''),
    codeChallenge: text('code_challenge'),
    codeChallengeMethod: text('code_challenge_method'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Kept after use until it expires, so that a second use is recognised and revokes what the first got. */
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [index('oauth_codes_expires_idx').on(table.expiresAt)],
);

export const oauthRefreshTokens = pgTable(
  'oauth_refresh_tokens',
  {
    hash: text('hash').primaryKey(),
    /** Every refresh token descended from one authorization code: reuse of any revokes them all. */
    familyId: uuid('family_id').notNull(),
    /** The code the family started from, to revoke the family when that code is replayed. */
    codeHash: text('code_hash'),
    clientId: text('client_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull().default(''),
    /** The identity token issued together with this refresh token. */
    accessTokenHash: text('access_token_hash'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    index('oauth_refresh_family_idx').on(table.familyId),
    index('oauth_refresh_code_idx').on(table.codeHash),
    index('oauth_refresh_access_idx').on(table.accessTokenHash),
    index('oauth_refresh_expires_idx').on(table.expiresAt),
  ],
);

export const oauthIdentities = pgTable(
  'oauth_identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.issuer, table.subject] }), index('oauth_identities_user_idx').on(table.userId)],
);
