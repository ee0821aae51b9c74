import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApiProblemException } from './api-problem.exception.js';
import { mapErrorToProblem } from './problem-mapping.js';
import { conflictFromUniqueViolation } from './unique-violation.js';

const CONFLICTS = {
  users_username_lower_unique: { field: 'username', detail: 'An account with this username or email already exists.' },
  users_email_lower_unique: { field: 'email', detail: 'An account with this username or email already exists.' },
};

/** What node-postgres raises on a unique violation: SQLSTATE 23505 and the index's name. */
const uniqueViolation = (constraint?: string) =>
  new UniqueConstraintViolationException(
    Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), { code: '23505', table: 'users', ...(constraint ? { constraint } : {}) }),
  );

describe('conflictFromUniqueViolation', () => {
  it.each([
    ['users_username_lower_unique', 'username'],
    ['users_email_lower_unique', 'email'],
  ])('turns a violation of %s into a 409 conflict naming %s', (constraint, field) => {
    const answer = conflictFromUniqueViolation(uniqueViolation(constraint), CONFLICTS);
    expect(answer).toBeInstanceOf(ApiProblemException);
    expect(mapErrorToProblem(answer)).toEqual({
      problem: {
        type: 'urn:tasktracker:problem:conflict',
        title: 'Conflict',
        status: 409,
        detail: 'An account with this username or email already exists.',
        errors: [{ field, message: `${field} is already taken` }],
      },
      headers: {},
      unexpected: false,
    });
  });

  it('returns a violation of an index it was not told about unchanged, for the global mapping', () => {
    const error = uniqueViolation('categories_user_id_name_lower_unique');
    expect(conflictFromUniqueViolation(error, CONFLICTS)).toBe(error);
  });

  it('returns a violation without a constraint name unchanged', () => {
    const error = uniqueViolation(undefined);
    expect(conflictFromUniqueViolation(error, CONFLICTS)).toBe(error);
  });

  it.each([
    ['another constraint violation naming a known index', new ForeignKeyConstraintViolationException(Object.assign(new Error('fk'), { constraint: 'users_email_lower_unique' }))],
    ['a plain error naming a known index', Object.assign(new Error('x'), { constraint: 'users_email_lower_unique' })],
    ['a non-error', 'users_email_lower_unique'],
  ])('returns %s unchanged', (_name, error) => {
    expect(conflictFromUniqueViolation(error, CONFLICTS)).toBe(error);
  });
});
