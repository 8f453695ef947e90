/** The classroom calls the pages make; each answers the classroom as it is after the change. */
import { api } from '../api/client';
import type { Classroom, ClassMember, ClassroomDraft, WindowInput } from './types';

const base = (id: string) => `/v1/classroom/${encodeURIComponent(id)}`;

export const getClassroom = async (id: string, signal?: AbortSignal) =>
  (await api<{ classroom: Classroom }>('GET', `/v1/classroom/get/${encodeURIComponent(id)}`, signal ? { signal } : {})).classroom;

export const listClassrooms = async (all: boolean, signal?: AbortSignal) =>
  (await api<{ classrooms: Classroom[] }>('GET', all ? '/v1/classroom/list/all' : '/v1/classroom/list', signal ? { signal } : {})).classrooms;

export const createClassroom = async (draft: ClassroomDraft) => (await api<{ classroom: Classroom }>('POST', '/v1/classroom/create', { body: draft })).classroom;

export type ClassroomChange = Partial<ClassroomDraft> & { courses?: string[]; windows?: WindowInput[] };

export const updateClassroom = async (id: string, change: ClassroomChange) =>
  (await api<{ classroom: Classroom }>('PUT', `/v1/classroom/update/${encodeURIComponent(id)}`, { body: change })).classroom;

export const changeMembers = async (id: string, change: { add?: ClassMember[]; remove?: string[] }) =>
  (await api<{ classroom: Classroom }>('POST', `${base(id)}/members`, { body: change })).classroom;

export const importRoster = async (id: string, csv: string) =>
  await api<{ message: string; added: number; classroom: Classroom }>('POST', `${base(id)}/members/csv`, { body: csv, contentType: 'text/csv' });

export const joinClassroom = async (id: string) => (await api<{ classroom?: Classroom }>('POST', `${base(id)}/join`)).classroom;

export const deleteClassroom = async (id: string, force: boolean) => {
  await api('DELETE', `/v1/classroom/delete/${encodeURIComponent(id)}${force ? '?force=true' : ''}`);
};

/** A 400's `unknown` names (roster changes), when it has them. */
export function unknownNames(error: unknown): string[] {
  const body = (error as { body?: { unknown?: unknown } } | undefined)?.body;
  return Array.isArray(body?.unknown) ? body.unknown.filter((name): name is string => typeof name === 'string') : [];
}
