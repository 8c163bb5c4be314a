/**
 * The boundary every transport goes through: validate the request against the contract, run the
 * handler, and turn every error into a value with an HTTP status (4xx for bad input, never 5xx)
 * and, where one field is at fault, its name.
 */
import type { z } from 'zod';
import { InferenceError } from '../inference/errors.ts';
import {
  type ApiFailure,
  type Channel,
  contract,
  type Handlers,
  type ParsedRequest,
  type Result,
} from './contract.ts';

/** An error the caller can act on: the status says what kind, `field` which part of the request. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 422,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const invalid = (message: string, field?: string) => new ApiError(400, message, field);

/** Errors that mean a bug in the studio, not a bad request: the only ones reported as 500. */
const INTERNAL = ['TypeError', 'ReferenceError', 'SqliteError', 'SyntaxError'];

export function failure(channel: string, err: unknown): ApiFailure {
  // a request the model cannot run as asked: bad input, at the field it names
  if (err instanceof InferenceError) return failure(channel, invalid(err.message, err.field));
  if (err instanceof ApiError) {
    return err.field
      ? {
          ok: false,
          status: err.status,
          field: err.field,
          error: `${channel}: field '${err.field}': ${err.message}`,
        }
      : { ok: false, status: err.status, error: err.message };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  // anything else a handler throws is about the request's data (a file it names cannot be read, a
  // model bundle is broken...): 422, unless it is a programming error
  return {
    ok: false,
    status: INTERNAL.includes(e.name) || INTERNAL.includes(e.constructor.name) ? 500 : 422,
    error: e.message,
  };
}

/**
 * The contract's verdict on a request, the one place requests are validated: the parsed request, or
 * the first problem as a 400 naming its field. `partial`: only the fields given are checked (the CLI
 * checks its flags before it opens anything, with the same rules and messages).
 */
export function validate<C extends Channel>(
  channel: C,
  req: unknown,
  partial = false,
): { ok: true; value: ParsedRequest<C> } | ApiFailure {
  const parsed = contract[channel].safeParse(req ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as ParsedRequest<C> };
  // partial: the problems of the fields given only (zod's .partial() refuses schemas with refinements)
  const given = (i: z.core.$ZodIssue) => i.path.length > 0 && Object.hasOwn(req ?? {}, i.path[0]);
  const i = partial ? parsed.error.issues.find(given) : parsed.error.issues[0];
  if (!i) return { ok: true, value: req as ParsedRequest<C> };
  const field = i.path.join('.') || '(request)';
  return { ok: false, status: 400, field, error: `${channel}: field '${field}': ${i.message}` };
}

/** Validate and run one call. */
export async function dispatch(handlers: Handlers, channel: string, req: unknown): Promise<Result<unknown>> {
  if (!Object.hasOwn(contract, channel))
    return { ok: false, status: 404, error: `unknown channel '${channel}'` };
  const c = channel as Channel;
  const parsed = validate(c, req);
  if (!parsed.ok) return parsed;
  try {
    const value = await (handlers[c] as (r: unknown) => Promise<unknown>)(parsed.value);
    return { ok: true, value };
  } catch (err) {
    return failure(c, err);
  }
}
