import { describe, expect, it } from 'vitest';
import { RowCompactor } from '../../src/jobs/compact-rows.js';
import type { JobRow } from '../../src/jobs/repository.js';

/** A row as the database driver gives it: every string a copy of its own. */
function rowFromDatabase(id: string, overrides: Partial<JobRow> = {}): JobRow {
  const copy = (text: string) => [...text].join('');
  return {
    id,
    userId: copy('7d0f1b2e-2a51-4c1e-9b7a-2f3c4d5e6f70'),
    userName: copy('alice'),
    courseId: copy('0b9e8f1a-6c3d-4e2b-8a7f-1c2d3e4f5a6b'),
    status: copy('Created') as JobRow['status'],
    reason: null,
    gpu: 0,
    services: [],
    createdAt: new Date('2026-11-30T07:00:00Z'),
    classroomId: null,
    ...overrides,
  };
}

describe('RowCompactor', () => {
  it('keeps every field as it was', () => {
    const compactor = new RowCompactor();
    const row = rowFromDatabase('job-1', { reason: 'a reason', classroomId: 'room', services: [{ label: 'jupyter', value: 'http://x' }] });
    expect(compactor.compact(row)).toEqual(row);
    expect(compactor.compact(rowFromDatabase('job-2'))).toEqual(rowFromDatabase('job-2'));
  });

  it('lets rows share one empty URL list, which nobody can change', () => {
    const compactor = new RowCompactor();
    const a = compactor.compact(rowFromDatabase('job-1'));
    const b = compactor.compact(rowFromDatabase('job-2'));
    expect(a.services).toBe(b.services);
    expect(() => a.services.push({ label: 'x', value: 'y' })).toThrow();
  });

  it('holds one copy of each owner, course and state, however many rows carry it, until reset', () => {
    const compactor = new RowCompactor();
    for (let n = 0; n < 100; n += 1) compactor.compact(rowFromDatabase(`job-${n}`));
    // The user id, the name, the course id and the state; ids are never shared.
    expect(compactor.sharedCount).toBe(4);
    // A new state is one more; a reason is never kept (the cluster's words vary without bound).
    compactor.compact(rowFromDatabase('job-x', { status: 'Failed', reason: 'gone' }));
    expect(compactor.sharedCount).toBe(5);
    for (let n = 0; n < 100; n += 1) compactor.compact(rowFromDatabase(`job-${n}`, { status: 'Pending', reason: `Back-off pulling image, attempt ${n}` }));
    expect(compactor.sharedCount).toBe(6);
    compactor.reset();
    expect(compactor.sharedCount).toBe(0);
  });
});
