import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import { fieldOf } from '../src/fieldErrors';
import { courseBody } from '../src/pages/teacher/courseBody';

describe('fieldOf', () => {
  it('puts validation messages next to their field', () => {
    expect(fieldOf(new ApiError(400, 'Failed to parse spec request request: body/name must be 1 to 128 characters, not all blank'))).toEqual({
      field: 'name',
      message: 'body/name must be 1 to 128 characters, not all blank',
    });
    expect(fieldOf(new ApiError(400, 'Failed to parse spec request request: body/GPU must be <= 16'))?.field).toBe('gpu');
    expect(fieldOf(new ApiError(400, 'Failed to parse spec request request: body/datasets/0 must be a dataset name'))?.field).toBe('datasets');
    expect(fieldOf(new ApiError(400, 'Failed to parse spec request request: body/homePath must be an absolute path without ..'))?.field).toBe('homePath');
  });

  it('sends an empty home path as null, so that the default applies, also when an edit clears it', () => {
    const draft = { name: 'lab', introduction: '', image: 'classlab/hello', level: 'basic' as const, gpu: 0, datasets: [] };
    expect(courseBody({ ...draft, homePath: '  ' })).toEqual({ ...draft, homePath: null });
    expect(courseBody({ ...draft, homePath: ' /home/jovyan ' })).toEqual({ ...draft, homePath: '/home/jovyan' });
  });

  it('places refusals that name the image, and keeps the rest for the form', () => {
    expect(fieldOf(new ApiError(400, 'The image foo/bar cannot run on this runtime'))?.field).toBe('image');
    expect(fieldOf(new ApiError(403, 'Permission denied'))).toEqual({ message: 'Permission denied' });
    expect(fieldOf(new Error('x'))).toBeUndefined();
  });
});
