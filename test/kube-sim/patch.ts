// PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch treated as a merge patch (the
// simulator's one simplification: lists are replaced, not merged by key), and JSON patch (RFC 6902),
// which is what @kubernetes/client-node 1.x sends unless told otherwise.
import { ApiError } from './status.js';
import { deepClone, isRecord } from './types.js';

export const mergePatchTypes = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
export const jsonPatchType = 'application/json-patch+json';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return deepClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointerParts(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError(422, `the server rejected our request due to an error in our request: invalid pointer ${pointer}`);
  return pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, parts: string[], pointer: string): { parent: unknown; key: string } {
  let current = document;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isRecord(current)) current = current[part];
    else current = undefined;
    if (current === undefined) {
      throw new ApiError(422, `the server rejected our request due to an error in our request: missing path "${pointer}"`);
    }
  }
  return { parent: current, key: parts[parts.length - 1] ?? '' };
}

function read(document: unknown, pointer: string): unknown {
  const parts = pointerParts(pointer);
  if (parts.length === 0) return document;
  const { parent, key } = parentOf(document, parts, pointer);
  const value = Array.isArray(parent) ? parent[Number(key)] : isRecord(parent) ? parent[key] : undefined;
  if (value === undefined) throw new ApiError(422, `the server rejected our request due to an error in our request: missing value at "${pointer}"`);
  return value;
}

function removeAt(document: unknown, pointer: string): unknown {
  const { parent, key } = parentOf(document, pointerParts(pointer), pointer);
  const value = read(document, pointer);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (isRecord(parent)) delete parent[key];
  return value;
}

function addAt(document: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const parts = pointerParts(pointer);
  if (parts.length === 0) return deepClone(value);
  const { parent, key } = parentOf(document, parts, pointer);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (replace) parent[index] = deepClone(value);
    else parent.splice(index, 0, deepClone(value));
  } else if (isRecord(parent)) {
    if (replace && !(key in parent)) read(document, pointer);
    parent[key] = deepClone(value);
  } else {
    throw new ApiError(422, `the server rejected our request due to an error in our request: missing path "${pointer}"`);
  }
  return document;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new ApiError(400, 'json patch must be an array of operations');
  let document = deepClone(target);
  for (const operation of operations as JsonPatchOperation[]) {
    switch (operation.op) {
      case 'add':
        document = addAt(document, operation.path, operation.value, false);
        break;
      case 'replace':
        document = addAt(document, operation.path, operation.value, true);
        break;
      case 'remove':
        removeAt(document, operation.path);
        break;
      case 'move':
        document = addAt(document, operation.path, removeAt(document, operation.from ?? ''), false);
        break;
      case 'copy':
        document = addAt(document, operation.path, read(document, operation.from ?? ''), false);
        break;
      case 'test':
        if (JSON.stringify(read(document, operation.path)) !== JSON.stringify(operation.value)) {
          throw new ApiError(422, `the server rejected our request due to an error in our request: testing value ${operation.path} failed`);
        }
        break;
      default:
        throw new ApiError(400, `Unexpected kind: ${operation.op}`);
    }
  }
  return document;
}
