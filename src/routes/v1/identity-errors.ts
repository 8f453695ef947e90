import { ServiceError } from '../../common/errors.js';
import { HttpError, PARSE_FAILURE } from '../../http/envelope.js';
import { IdentityError, Status } from '../../identity/status.js';

/**
 * The identity service speaks in status codes; v1 speaks HTTP. The draft's account routes
 * answered an unknown user with 400; newer routes say 404 (`notFound`).
 */
export async function asV1<T>(work: () => Promise<T>, notFound: 400 | 404 = 400): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    switch (error.status) {
      case Status.UserAlreadyExisting:
      case Status.UserRoleAlreadyExisting:
        throw new HttpError(409, error.message);
      case Status.UserNotFound:
      case Status.RoleNotFound:
        throw new HttpError(notFound, error.message);
      case Status.TooManyAttempts:
        throw new ServiceError('busy', error.message, error.retryAfterSeconds);
      default:
        if (error.conflict) throw new HttpError(409, error.message);
        throw new HttpError(400, `${PARSE_FAILURE}: ${error.message}`);
    }
  }
}
