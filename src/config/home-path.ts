/**
 * Where a job sees its user's home, as a course or an image catalog entry names it: the same rule
 * as the CLASSLAB_HOME_MOUNT_PATH setting's (home-settings.ts `mountPath`), written as a schema so
 * that a bad path is refused with the request's other fields.
 */

import { Type } from 'typebox';

/** Absolute, not `/` itself, no `.` or `..` part, no spaces; one trailing `/` is allowed and dropped. */
export const HomePathSchema = Type.String({
  maxLength: 256,
  pattern: '^(/(?!\\.{1,2}(/|$))[^/\\s]+)+/?$',
  description: 'an absolute path inside the job, such as /home/jovyan, without . or .. parts',
});
