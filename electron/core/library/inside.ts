/**
 * The one rule for "inside a library folder", used by scans, reads (caption jobs, recaption),
 * media serving and exports: a path is inside when its real path, and the real path of the folder
 * it is listed in, are the library folder's real path or below it (every link resolved). A link
 * whose target leaves the folder is passed over by scans (reported once), never read, served,
 * copied into a dataset or written through.
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';

/** How scans report such a link, and the reason reads give. */
export const LEADS_OUTSIDE = 'link leads outside the folder';

export class OutsideError extends Error {
  constructor(readonly path: string) {
    super(`${path}: ${LEADS_OUTSIDE}`);
  }
}

/** `real` is `rootReal` or below it (both already real paths). */
export function within(rootReal: string, real: string): boolean {
  const r = relative(rootReal, real);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

/**
 * The real path of `path`, listed inside library folder `root`; throws OutsideError when it, or the
 * folder it is listed in, leads outside `root`, and as `realpath` does (ENOENT...) when it cannot
 * be resolved.
 */
export async function realInside(root: string, path: string): Promise<string> {
  const [rootReal, dirReal, real] = await Promise.all([root, dirname(path), path].map((p) => realpath(p)));
  if (!within(rootReal, dirReal) || !within(rootReal, real)) throw new OutsideError(path);
  return real;
}

/** `realInside` for synchronous callers (exports). */
export function realInsideSync(root: string, path: string): string {
  const [rootReal, dirReal, real] = [root, dirname(path), path].map((p) => realpathSync(p));
  if (!within(rootReal, dirReal) || !within(rootReal, real)) throw new OutsideError(path);
  return real;
}

/** Whether `path` resolves, through a link, outside `root` (false when it cannot be resolved). */
export function leadsOutside(root: string, path: string): boolean {
  try {
    realInsideSync(root, path);
    return false;
  } catch (err) {
    return err instanceof OutsideError;
  }
}
