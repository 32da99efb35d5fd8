import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError, errorHandler, fromZod, invalid, notFound } from '../../api/errors';
import { fieldPath } from '../../core/field-path';
import { logger } from '../../lib/logger';

/** A plain fake of the parts of an express response the handler uses. */
function fakeResponse() {
  const sent: { status?: number; body?: unknown } = {};
  const res = {
    locals: {},
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: unknown) {
      sent.body = body;
      return res;
    },
  };
  return { res: res as unknown as Response, sent };
}

function handle(err: unknown): { status?: number; body?: unknown } {
  const { res, sent } = fakeResponse();
  const next: NextFunction = () => {
    throw new Error('errorHandler should answer, not call next');
  };
  errorHandler(err, {} as Request, res, next);
  return sent;
}

describe('fieldPath', () => {
  it("when given ['steps', 2, 'next'], then it returns 'steps[2].next'", () => {
    expect(fieldPath(['steps', 2, 'next'])).toBe('steps[2].next');
  });

  it('when given consecutive indexes, then each is bracketed', () => {
    expect(fieldPath(['matrix', 0, 1])).toBe('matrix[0][1]');
  });

  it('when the path starts with an index, then it starts with a bracket', () => {
    expect(fieldPath([3, 'id'])).toBe('[3].id');
  });

  it('when the path is empty, then it returns the empty string', () => {
    expect(fieldPath([])).toBe('');
  });
});

describe('invalid and notFound', () => {
  it('when details are given, then invalid returns a 400 whose message joins them', () => {
    const error = invalid([
      { field: 'name', message: 'too short' },
      { field: '', message: 'something overall' },
    ]);
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toBe('name: too short; something overall');
  });

  it('when something does not exist, then notFound returns a 404 naming it', () => {
    const error = notFound('journey "welcome"');
    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('journey "welcome" does not exist');
  });
});

describe('fromZod', () => {
  const schema = z.object({ name: z.string(), steps: z.array(z.object({ next: z.string() })) });

  function zodErrorOf(input: unknown): z.ZodError {
    const result = schema.safeParse(input);
    if (result.success) throw new Error('expected the input to be refused');
    return result.error;
  }

  it('when zod refuses a body, then it returns a 400 AppError whose details name each field', () => {
    const error = fromZod(zodErrorOf({ name: 7, steps: [{ next: 'a' }, { next: 'b' }, { next: 3 }] }));
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.details!.map((d) => d.field)).toEqual(['name', 'steps[2].next']);
    expect(error.details!.every((d) => d.message.length > 0)).toBe(true);
    expect(error.message).toContain('steps[2].next: ');
  });

  it('when a prefix is given, then every field starts with it', () => {
    const error = fromZod(zodErrorOf({ name: 'x', steps: [{ next: 1 }] }), 'definition');
    expect(error.details!.map((d) => d.field)).toEqual(['definition.steps[0].next']);
  });
});

describe('errorHandler', () => {
  it('when the error is an AppError, then its status, code, message and details are sent', () => {
    const details = [{ field: 'name', message: 'required' }];
    expect(handle(new AppError(422, 'unprocessable', 'cannot do that', details))).toEqual({
      status: 422,
      body: { error: { code: 'unprocessable', message: 'cannot do that', details } },
    });
  });

  it('when express.json() fails to parse the body, then it answers 400 invalid_json', () => {
    const err = Object.assign(new SyntaxError('Unexpected token } in JSON'), { status: 400, type: 'entity.parse.failed' });
    expect(handle(err)).toEqual({
      status: 400,
      body: { error: { code: 'invalid_json', message: 'request body is not valid JSON' } },
    });
  });

  it('when the body is too large, then it answers 413 too_large', () => {
    const err = Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
    expect(handle(err)).toEqual({ status: 413, body: { error: { code: 'too_large', message: 'request body is too large' } } });
  });

  it('when another error carries a 4xx status, then that status is sent with its message', () => {
    const err = Object.assign(new Error('unsupported charset'), { status: 415 });
    expect(handle(err)).toEqual({ status: 415, body: { error: { code: 'bad_request', message: 'unsupported charset' } } });
  });

  it('when the error is unknown, then it answers 500 without leaking the message and logs it', () => {
    const logError = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const err = new Error('database password is hunter2');
      const sent = handle(err);
      expect(sent).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
      expect(JSON.stringify(sent.body)).not.toContain('hunter2');
      expect(logError).toHaveBeenCalledWith(expect.objectContaining({ err }), 'unhandled error');
    } finally {
      logError.mockRestore();
    }
  });

  it('when an unknown error carries a 5xx status, then it still answers 500 internal', () => {
    const logError = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const sent = handle(Object.assign(new Error('upstream down'), { status: 503 }));
      expect(sent).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
    } finally {
      logError.mockRestore();
    }
  });
});
