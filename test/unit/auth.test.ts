import type { NextFunction, Request, Response } from 'express';
import { requireApiKey } from '../../api/auth';
import { AppError } from '../../api/errors';

interface Outcome {
  /** What next() was called with; undefined when called with nothing. */
  nextArgs: unknown[][];
  headers: Record<string, string>;
}

/** Runs the middleware against plain fakes of req, res and next. */
function run(keys: string[], authorization?: string): Outcome {
  const outcome: Outcome = { nextArgs: [], headers: {} };
  const req = {
    get(name: string) {
      return name.toLowerCase() === 'authorization' ? authorization : undefined;
    },
  } as unknown as Request;
  const res = {
    set(name: string, value: string) {
      outcome.headers[name] = value;
      return res;
    },
  } as unknown as Response;
  const next: NextFunction = (...args: unknown[]) => {
    outcome.nextArgs.push(args);
  };
  requireApiKey(keys)(req, res, next);
  return outcome;
}

function expectAccepted(outcome: Outcome): void {
  expect(outcome.nextArgs).toEqual([[]]);
  expect(outcome.headers).toEqual({});
}

function expectRejected(outcome: Outcome): void {
  expect(outcome.nextArgs).toHaveLength(1);
  const [err] = outcome.nextArgs[0];
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).status).toBe(401);
  expect((err as AppError).code).toBe('unauthorized');
  expect(outcome.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
}

describe('requireApiKey', () => {
  const keys = ['first-key-123', 'second-key-456', 'third-key-789'];

  it.each(keys)('when the Bearer key is %p, one of the configured keys, then the request passes', (key) => {
    expectAccepted(run(keys, `Bearer ${key}`));
  });

  it('when the scheme is written in lower case, then the request passes', () => {
    expectAccepted(run(keys, 'bearer second-key-456'));
  });

  it('when there is no Authorization header, then it is rejected with 401', () => {
    expectRejected(run(keys, undefined));
  });

  it('when the header is empty, then it is rejected with 401', () => {
    expectRejected(run(keys, ''));
  });

  it('when the key is wrong, then it is rejected with 401', () => {
    expectRejected(run(keys, 'Bearer not-a-key'));
  });

  it('when the key starts with a valid key but is longer, then it is rejected with 401', () => {
    expectRejected(run(keys, 'Bearer first-key-1234'));
  });

  it('when the key is a prefix of a valid key, then it is rejected with 401', () => {
    expectRejected(run(keys, 'Bearer first-key-12'));
  });

  it('when the scheme is not Bearer, then it is rejected with 401 even with a valid key', () => {
    expectRejected(run(keys, 'Basic first-key-123'));
    expectRejected(run(keys, 'Token first-key-123'));
  });

  it('when the header holds only the key without a scheme, then it is rejected with 401', () => {
    expectRejected(run(keys, 'first-key-123'));
  });

  it('when the header holds two keys, then it is rejected with 401', () => {
    expectRejected(run(keys, 'Bearer first-key-123 second-key-456'));
  });

  it('when no keys are configured, then every request is rejected with 401', () => {
    expectRejected(run([], 'Bearer anything'));
    expectRejected(run([], 'Bearer '));
  });
});
