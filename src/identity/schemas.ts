import { Type } from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USER_NAME_PATTERN, USER_NAME_RULE } from '../common/account-rules.js';

export const UserNameSchema = Type.String({ pattern: USER_NAME_PATTERN.source, description: USER_NAME_RULE });

export const PasswordSchema = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
});
