/**
 * A CSV file as RFC 4180 writes it: fields with a comma, a quote or a line break are quoted, and
 * text that a spreadsheet would run as a formula (= + - @, or a tab or carriage return first)
 * gets a leading ' so that it is shown, not run.
 */
export function csvOf(lines: readonly (readonly (string | number)[])[]): string {
  return lines.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const shown = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(shown) ? `"${shown.replaceAll('"', '""')}"` : shown;
}
