import { ApiError } from '../api/client';
import { Problem } from './Problem';
import { QuotaNote } from './QuotaNote';

/** Why a launch did not start: a quota (429, with its retry time) or any other refusal. */
export function LaunchRefusal({ error }: { error: unknown }) {
  return error instanceof ApiError && error.status === 429 ? <QuotaNote error={error} /> : <Problem error={error} />;
}
