// Name and label rules with the API server's own messages (k8s.io/apimachinery/pkg/util/validation).

const dns1123LabelPattern = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123Label = new RegExp(`^${dns1123LabelPattern}$`);
const dns1123SubdomainPattern = `${dns1123LabelPattern}(\\.${dns1123LabelPattern})*`;
const dns1123Subdomain = new RegExp(`^${dns1123SubdomainPattern}$`);
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValuePattern = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const labelValue = new RegExp(`^${labelValuePattern}$`);
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function checkDns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!dns1123Label.test(value)) {
    errors.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
        `end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${dns1123LabelPattern}')`,
    );
  }
  return errors;
}

export function checkDns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push('must be no more than 253 characters');
  if (!dns1123Subdomain.test(value)) {
    errors.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        `'${dns1123SubdomainPattern}')`,
    );
  }
  return errors;
}

export function checkDns1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!dns1035Label.test(value)) {
    errors.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " +
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for " +
        "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errors;
}

export function checkLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!labelValue.test(value)) {
    errors.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used " +
        `for validation is '${labelValuePattern}')`,
    );
  }
  return errors;
}

/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name like a label value. */
export function checkQualifiedName(value: string): string[] {
  const parts = value.split('/');
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || name === undefined || name === '') {
    return [
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ];
  }
  const errors: string[] = [];
  if (prefix !== undefined) {
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...checkDns1123Subdomain(prefix).map((message) => `prefix part ${message}`));
  }
  if (name.length > 63) errors.push('name part must be no more than 63 characters');
  if (!qualifiedNamePart.test(name)) {
    errors.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return errors;
}

/** IANA service names, which container port names must be: at most 15 characters, with a letter. */
export function checkPortName(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 15) errors.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(value)) errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) errors.push('must not begin or end with a hyphen');
  return errors;
}
