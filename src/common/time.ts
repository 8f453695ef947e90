/** RFC 3339 in UTC to the second, as the spec's `createAt` and `startAt` are written. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
