/**
 * Local image bytes for the UI, by library root and path inside it: never `file://`, never a path
 * outside a library root (no `..`, no absolute paths, no symlink that leads out of the root).
 * Used by the HTTP server and by the Electron shell's custom protocol alike.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { DB } from '../../../db/open.ts';
import { rootPath } from '../../../db/queries/library.ts';
import type { MediaKind } from '../api/bridge.ts';

export type { MediaKind };

export class MediaError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

const inside = (root: string, p: string) => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
};

/** The real path of `rel` under library root `rootId`, or a MediaError saying why not. */
export async function resolveMedia(db: DB, rootId: number, rel: string): Promise<string> {
  const root = rootPath(db, rootId);
  if (!root) throw new MediaError(404, `no library folder ${rootId}`);
  if (!rel || rel.includes('\0') || isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new MediaError(400, 'path must be relative to the library folder');
  }
  const joined = resolve(root, rel);
  if (!inside(root, joined)) throw new MediaError(403, 'path outside the library folder');
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new MediaError(404, 'no such file');
  }
  if (!inside(await realpath(root), real)) throw new MediaError(403, 'path leads outside the library folder');
  return real;
}

/** A WebP thumbnail (longest side `size`), generated lazily and cached on disk. */
export async function thumbnail(
  db: DB,
  cacheDir: string,
  rootId: number,
  rel: string,
  size = 256,
): Promise<Buffer> {
  const path = await resolveMedia(db, rootId, rel);
  const { mtimeMs, size: bytes } = await stat(path);
  const key = createHash('sha1').update(`${path}\0${mtimeMs}\0${bytes}\0${size}`).digest('hex');
  const file = join(cacheDir, key.slice(0, 2), `${key}.webp`);
  try {
    return await readFile(file);
  } catch {
    const out = await sharp(path, { failOn: 'none' })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    await mkdir(join(cacheDir, key.slice(0, 2)), { recursive: true });
    await writeFile(file, out);
    return out;
  }
}

const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
};

/**
 * One media request, for the HTTP server and the desktop app's `studio-media:` protocol alike:
 * the image's bytes, or its WebP thumbnail (longest side `size`).
 */
export async function media(
  db: DB,
  thumbsDir: string,
  kind: MediaKind,
  rootId: number,
  rel: string,
  size = 256,
): Promise<{ bytes: Buffer; type: string }> {
  if (kind === 'thumb')
    return { bytes: await thumbnail(db, thumbsDir, rootId, rel, size), type: 'image/webp' };
  const bytes = await readFile(await resolveMedia(db, rootId, rel));
  return { bytes, type: MIME[extname(rel).slice(1).toLowerCase()] ?? 'application/octet-stream' };
}
