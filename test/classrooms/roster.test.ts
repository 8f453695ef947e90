import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/common/errors.js';
import { MAX_ROSTER_LINES, parseRoster } from '../../src/classrooms/roster.js';

function refusal(text: string): string {
  try {
    parseRoster(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).kind).toBe('invalid');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

const users = (text: string) => parseRoster(text).map(({ user, role }) => [user, role]);

describe('class roster', () => {
  it('reads "name" and "name,role" lines, a role in any case, and leaves the role of a bare name open', () => {
    expect(parseRoster('alice\nbob,ta\ncarol,Teacher\n')).toEqual([
      { line: 1, user: 'alice', role: undefined },
      { line: 2, user: 'bob', role: 'ta' },
      { line: 3, user: 'carol', role: 'teacher' },
    ]);
  });

  it('tolerates a byte-order mark, CRLF, a header, blank lines and spaces around fields', () => {
    expect(parseRoster('\uFEFFname,role\r\n\r\n alice , student \r\nbob\r\n\r\n')).toEqual([
      { line: 3, user: 'alice', role: 'student' },
      { line: 4, user: 'bob', role: undefined },
    ]);
    expect(users('User,Role\ncarol,ta')).toEqual([['carol', 'ta']]);
    expect(users('user\ncarol')).toEqual([['carol', undefined]]);
  });

  it('reads quoted fields ("" is a quote), and a trailing comma as no role', () => {
    expect(users('"alice", "ta"\n"bob@nchc"\ncarol,')).toEqual([
      ['alice', 'ta'],
      ['bob@nchc', undefined],
      ['carol', undefined],
    ]);
    expect(refusal('"b""ob"')).toBe('roster: line 1: "b\\"ob" is not a user name');
  });

  it('treats a header only on the first line: later, "name" is a user called name', () => {
    expect(users('alice\nname')).toEqual([
      ['alice', undefined],
      ['name', undefined],
    ]);
  });

  it('names every line it cannot read, with why', () => {
    const message = refusal('alice,prof\nbob\n\nnot a name\ncarol,ta,extra\n"dave\nalice');
    expect(message).toContain('line 1: role "prof" is not one of teacher, ta, student');
    expect(message).toContain('line 4: "not a name" is not a user name');
    expect(message).toContain('line 5: expected "name" or "name,role", found 3 fields');
    expect(message).toContain('line 6: a quoted field is not closed');
    expect(message).not.toContain('line 2');
  });

  it('refuses a user named twice, regardless of case, naming both lines', () => {
    expect(refusal('alice\nbob\nALICE,ta')).toBe('roster: line 3: ALICE is already on line 1');
  });

  it('lists ten problems and counts the rest', () => {
    const message = refusal(Array.from({ length: 12 }, () => 'x y').join('\n'));
    expect(message).toContain('line 10:');
    expect(message).not.toContain('line 11:');
    expect(message).toMatch(/and 2 more$/);
  });

  it(`refuses more than ${MAX_ROSTER_LINES} users`, () => {
    const text = Array.from({ length: MAX_ROSTER_LINES + 1 }, (_, i) => `user${i}`).join('\n');
    expect(refusal(text)).toBe(`roster: at most ${MAX_ROSTER_LINES} users; this one has ${MAX_ROSTER_LINES + 1}`);
  });

  it('reads an empty roster, or one with only a header, as no users', () => {
    expect(parseRoster('')).toEqual([]);
    expect(parseRoster('\uFEFFname,role\r\n')).toEqual([]);
  });
});
