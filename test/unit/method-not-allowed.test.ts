import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../api/errors';
import { methodNotAllowed } from '../../api/method-not-allowed';

const document = {
  paths: {
    '/v1/customers/{id}': { parameters: [], put: {}, get: {} },
    '/v1/customers/batch': { post: {} },
    '/healthz': { get: {} },
  },
};

function call(method: string, path: string): { error?: unknown; allow?: string } {
  const headers: Record<string, string> = {};
  const res = { set: (name: string, value: string) => (headers[name] = value) } as unknown as Response;
  let error: unknown = 'not called';
  methodNotAllowed(document)({ method, path } as Request, res, ((err?: unknown) => (error = err)) as NextFunction);
  return { error, allow: headers.Allow };
}

test('when the method is not listed for a listed path, then the answer is 405 with the methods allowed', () => {
  const { error, allow } = call('TRACE', '/v1/customers/batch');
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(405);
  // batch also matches {id}, but a path without parameters wins over a template, as in the routes.
  expect(allow).toBe('POST');
  expect(call('DELETE', '/healthz').allow).toBe('GET, HEAD');
});

test('when the method is listed, or the path is not, or it is a preflight, then the request goes on', () => {
  expect(call('PUT', '/v1/customers/ada').error).toBeUndefined();
  expect(call('HEAD', '/healthz').error).toBeUndefined();
  expect(call('TRACE', '/v1/nowhere').error).toBeUndefined();
  expect(call('OPTIONS', '/healthz').error).toBeUndefined();
  expect(call('GET', '/v1/customers/ada/extra').error).toBeUndefined();
});
