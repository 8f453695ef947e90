/**
 * Names, labels and annotations of a job's Kubernetes objects. Labels are the source of truth for
 * what classlab owns, so every object carries the same four, and every watch filters on the first.
 */

import { createHash } from 'node:crypto';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'classlab';
export const JOB_LABEL = 'classlab.io/job';
export const USER_LABEL = 'classlab.io/user';
export const COURSE_LABEL = 'classlab.io/course';
/** What a non-job object is to classlab: `home` for a user's home claim. */
export const COMPONENT_LABEL = 'classlab.io/component';
export const HOME_COMPONENT = 'home';

export const USER_NAME_ANNOTATION = 'classlab.io/user-name';
export const COURSE_NAME_ANNOTATION = 'classlab.io/course-name';
/** The path (with the job's token) appended to each URL, so URLs can be rebuilt from the Service alone. */
export const URL_PATH_ANNOTATION = 'classlab.io/url-path';

/** The selector every informer and listing uses: only objects classlab created. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

const OBJECT_NAME_PREFIX = 'classlab-';
const LABEL_VALUE_MAX = 63;
const HASH_LENGTH = 8;
/** A DNS-1035 label, which Service names must be: `classlab-` plus the job id has to stay one. */
const OBJECT_NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The Deployment's and the Service's name for a job. */
export function objectName(jobId: string): string {
  return `${OBJECT_NAME_PREFIX}${jobId}`;
}

/**
 * The claim of a home: `classlab-<home name>` when that is a DNS-1123 label as it is, else the
 * name made one (lowercase, `-` for the rest) with a hash of the original, so two home names
 * never share a claim and the same home always finds its own.
 */
export function homeClaimName(homeName: string): string {
  const plain = `${OBJECT_NAME_PREFIX}${homeName}`;
  if (isValidObjectName(plain)) return plain;
  const room = LABEL_VALUE_MAX - OBJECT_NAME_PREFIX.length - HASH_LENGTH - 1;
  const head = homeName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, room).replace(/^-+|-+$/g, '');
  return `${OBJECT_NAME_PREFIX}${head === '' ? '' : `${head}-`}${shortHash(homeName)}`;
}

/** Whether a job id makes a valid object name (job ids are UUIDs, so this fails only on a bug). */
export function isValidObjectName(name: string): boolean {
  return name.length <= LABEL_VALUE_MAX && OBJECT_NAME_PATTERN.test(name);
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * A valid label value for any text: characters outside `[A-Za-z0-9-_.]` become `-`, and the
 * value starts and ends with an alphanumeric. When the text had to be shortened (or nothing was
 * left of it) a hash of the original ends the value, so two long names stay apart.
 */
export function sanitiseLabelValue(text: string): string {
  const replaced = text.replace(/[^A-Za-z0-9._-]/g, '-');
  const trimmed = replaced.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  if (trimmed.length > 0 && trimmed.length <= LABEL_VALUE_MAX) return trimmed;
  const hash = shortHash(text);
  if (trimmed.length === 0) return hash;
  const head = trimmed.slice(0, LABEL_VALUE_MAX - HASH_LENGTH - 1).replace(/[^A-Za-z0-9]+$/, '');
  return `${head}-${hash}`;
}

export interface JobIdentity {
  jobId: string;
  userName: string;
  courseId: string;
  courseName: string;
}

export function jobLabels(job: JobIdentity): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    // launch checked that the id is a valid object name, so it is a valid label value as it is.
    [JOB_LABEL]: job.jobId,
    [USER_LABEL]: sanitiseLabelValue(job.userName),
    [COURSE_LABEL]: sanitiseLabelValue(job.courseId),
  };
}

export function jobAnnotations(job: JobIdentity): Record<string, string> {
  return { [USER_NAME_ANNOTATION]: job.userName, [COURSE_NAME_ANNOTATION]: job.courseName };
}

/** The job an object belongs to, from its labels; undefined for objects that are not a job's. */
export function jobIdOf(object: { metadata?: { labels?: Record<string, string> } }): string | undefined {
  return object.metadata?.labels?.[JOB_LABEL];
}
