/**
 * `serve --exports-dir DIR`: the served mode writes exports into DIR only (and always does when not
 * on localhost). A relative `out` is taken inside DIR; a destination whose real path (links
 * resolved, as far as the path exists) leaves DIR is refused, and so are sidecars written beside
 * the images, which land in library folders.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { CONTROL_CHARS } from '../api/contract.ts';
import { userPath } from '../paths.ts';

const EXPORT_CHANNELS = new Set(['export.run', 'export.preview']);

/** The real path of `p`, resolving links in the part that exists; undefined for a broken link. */
function realTarget(p: string): string | undefined {
  const rest: string[] = [];
  let at = p;
  try {
    while (!lstatSync(at, { throwIfNoEntry: false })) {
      if (dirname(at) === at) return undefined;
      rest.unshift(basename(at));
      at = dirname(at);
    }
    return join(realpathSync(at), ...rest);
  } catch {
    return undefined; // a broken link, or a part that is not a folder or cannot be read
  }
}

/**
 * An export request as the served mode runs it when confined to `dir` (a real path): `out` made
 * absolute inside it; or why it is refused.
 */
export function confineExport(
  dir: string,
  channel: string,
  body: unknown,
): { ok: true; body: unknown } | { ok: false; status: 403; error: string } {
  if (!EXPORT_CHANNELS.has(channel) || !body || typeof body !== 'object' || Array.isArray(body))
    return { ok: true, body };
  const req = body as Record<string, unknown>;
  if (req.beside === true)
    return {
      ok: false,
      status: 403,
      error: `this server writes exports into ${dir} only, not beside the images`,
    };
  // not a string: the contract refuses it, naming the field
  if (typeof req.out !== 'string' || !req.out || req.out.length > 4096 || CONTROL_CHARS.test(req.out))
    return { ok: true, body };
  const out = isAbsolute(req.out) || req.out.startsWith('~') ? userPath(req.out) : resolve(dir, req.out);
  const real = realTarget(out);
  if (!real || (real !== dir && !real.startsWith(dir + sep)))
    return {
      ok: false,
      status: 403,
      error: `this server writes exports into ${dir} only: ${req.out} is outside it`,
    };
  return { ok: true, body: { ...req, out } };
}
