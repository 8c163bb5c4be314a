/**
 * Command-line arguments into contract requests: flags are parsed to numbers and lists here, then
 * validated by the contract like any other transport's requests; a field error comes back as the
 * flag it came from.
 */
import type { ApiFailure, Channel, Request, Responses } from '../core/api/contract.ts';
import { dispatch, validate } from '../core/api/dispatch.ts';
import type { Studio } from '../core/studio.ts';

/** Bad usage: exit code 2 and the usage text. */
export class UsageError extends Error {}

export function intArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name}: expected a whole number, got '${v}'`);
  return n;
}

export function floatArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${v}'`);
  return n;
}

/** Rows under a header, each column as wide as its widest cell (the last one unpadded). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export const listArg = (v: string | undefined) => v?.split(',').filter(Boolean);

/** Drops the keys whose value is undefined (flags not given). */
export function given<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A failed call as the CLI says it: a field some flag set is a usage error naming the flag, in one
 * line; a message that advises a request field ("use overwrite") names its flag instead.
 */
function reject(r: ApiFailure, flags: Record<string, string>): never {
  const flag = r.field && flags[r.field];
  if (flag) throw new UsageError(`--${flag}: ${r.error.replace(/^[^:]+: field '[^']*': /, '')}`);
  throw new Error(r.error.replace(/\buse (\w+)\b/g, (m, f: string) => (flags[f] ? `use --${flags[f]}` : m)));
}

/**
 * Calls the core through the same dispatch as IPC and HTTP. `flags` maps request fields to the
 * flags that set them, so a rejected field is reported as its flag.
 */
export async function call<C extends Channel>(
  studio: Studio,
  channel: C,
  req: Request<C>,
  flags: Record<string, string> = {},
): Promise<Responses[C]> {
  const r = await dispatch(studio.handlers, channel, req);
  if (r.ok) return r.value as Responses[C];
  return reject(r, flags);
}

/**
 * The fields of a request built so far, checked by dispatch's own validation before the CLI opens
 * anything (a bad flag must not leave a database behind); reported like `call`'s errors.
 */
export function check<C extends Channel>(
  channel: C,
  req: Partial<Request<C>>,
  flags: Record<string, string>,
): void {
  const r = validate(channel, req, true);
  if (!r.ok) reject(r, flags);
}
