import { ServiceError } from '../common/errors.js';
import type { JobRuntime } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';

export interface CourseNeeds {
  name: string;
  image: string;
  gpu: number;
  datasets: readonly string[];
}

/**
 * Why the runtime could never launch the course, as a 400 naming what would work. Launch asks
 * the same, so the two never disagree.
 */
export async function refuseIfUnrunnable(runtime: JobRuntime, course: CourseNeeds, onFailure: (error: unknown) => Error): Promise<void> {
  const refusal = await runtime.cannotRun({ image: course.image, gpu: course.gpu }).catch((error: unknown) => {
    throw onFailure(error);
  });
  if (refusal) throw unrunnable(course, refusal);
}

function unrunnable(course: CourseNeeds, refusal: string): ServiceError {
  return new ServiceError('invalid', `course ${course.name} ${refusal}`);
}

/**
 * What a teacher publishing the course should know, from what the runtime can tell now: a course
 * that could never launch is refused; a dataset that does not exist yet is only a warning (it
 * may be made after the course), and so is a runtime that cannot be asked.
 */
export async function checkNewCourse(runtime: JobRuntime, course: CourseNeeds): Promise<string[]> {
  const warnings: string[] = [];
  const cannotAsk = (what: string) => (error: unknown) => {
    warnings.push(`could not check ${what} with the ${runtime.kind} runtime: ${rootMessage(error)}`);
  };
  const refusal = await runtime.cannotRun({ image: course.image, gpu: course.gpu }).catch((error: unknown) => {
    cannotAsk('the image and GPUs')(error);
    return undefined;
  });
  if (refusal) throw unrunnable(course, refusal);
  if (course.datasets.length > 0) {
    await runtime.datasets().then((available) => {
      const missing = course.datasets.filter((name) => !available.includes(name));
      if (missing.length > 0) {
        warnings.push(`dataset ${missing.join(', ')} does not exist yet, so launches fail until it does; datasets now: ${available.join(', ') || 'none'}`);
      }
    }, cannotAsk('the datasets'));
  }
  return warnings;
}
