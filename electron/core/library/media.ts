/**
 * Image bytes for the UI, for the HTTP server and the desktop app's `studio-media:` protocol alike.
 * A file is asked for by its id, so only what a scan recorded as an image can be served; before
 * anything is read, its path must still lead to a regular file inside its library folder (no
 * hidden path segment, no symlink leaving the folder, no FIFO or device). Originals stream with
 * bounded memory; thumbnails, and renditions of formats browsers cannot show (TIFF), are WebP
 * files made once and cached on disk, decoded under the pixel limit (images/decode.ts) off the
 * serving thread (sharp in libuv's pool, BMP in a worker). A file whose bytes are no image, or
 * that declares more pixels than the limit, is not served (422). `routeMedia` is the one router
 * both transports use: the path, the caller's right to the file, then the bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { fileById } from '../../../db/queries/library.ts';
import { mayReadFile } from '../access/scope.ts';
import type { MediaKind } from '../api/bridge.ts';
import type { Caller } from '../api/contract.ts';
import { checkDeclaredSize, firstBytes, openImage, PixelLimitError } from '../images/decode.ts';
import { LEADS_OUTSIDE, OutsideError, realInside } from './inside.ts';
import { tooLarge } from './read.ts';

export type { MediaKind };

export class MediaError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Thumbnail sizes (longest side): a request is served the next size up, so the cache stays small. */
export const THUMB_SIZES = [128, 256, 512, 1024, 2048] as const;
/** The longest side of a rendition of an original browsers cannot show. */
const RENDITION_SIZE = 2048;

/**
 * The image formats browsers show as they are, by their first bytes (a name is not a format: a
 * text file called .jpg is not served). Anything else is served as a WebP rendition, if it decodes.
 */
function browserFormat(head: Buffer): string | undefined {
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
  if (ascii(0, 4) === 'GIF8') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 2) === 'BM') return 'image/bmp';
  if (ascii(4, 12) === 'ftypavif') return 'image/avif';
  return undefined;
}

/** `size` as a query gives it: an integer from 1 to the largest thumbnail, rounded up to a THUMB_SIZES entry. */
export function thumbSize(raw: string | null): number {
  if (raw === null) return 256;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  const max = THUMB_SIZES[THUMB_SIZES.length - 1];
  if (!(n >= 1 && n <= max)) throw new MediaError(400, `size must be an integer from 1 to ${max}`);
  return THUMB_SIZES.find((s) => s >= n)!;
}

/** The checked real path of library file `fileId`, and its size and mtime. */
export async function resolveMedia(
  db: DB,
  fileId: number,
): Promise<{ path: string; size: number; mtimeMs: number }> {
  const f = fileById(db, fileId);
  if (!f) throw new MediaError(404, `no image file with id ${fileId}`);
  const rel = relative(f.root_path, f.path);
  if (rel.split(sep).some((part) => part.startsWith('.')))
    throw new MediaError(403, 'hidden files are not served');
  let real: string;
  try {
    real = await realInside(f.root_path, f.path);
  } catch (err) {
    if (err instanceof OutsideError) throw new MediaError(403, `${rel}: ${LEADS_OUTSIDE}`);
    throw new MediaError(404, `${rel}: no such file any more`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw new MediaError(404, `${rel}: not a regular file`);
  return { path: real, size: st.size, mtimeMs: st.mtimeMs };
}

/** A WebP of the image, longest side `size`, made once per file version and size, cached on disk. */
async function webp(
  cacheDir: string,
  file: { path: string; size: number; mtimeMs: number },
  size: number,
): Promise<Buffer> {
  const key = createHash('sha1').update(`${file.path}\0${file.mtimeMs}\0${file.size}\0${size}`).digest('hex');
  const cached = join(cacheDir, key.slice(0, 2), `${key}.webp`);
  try {
    return await readFile(cached);
  } catch {
    const large = tooLarge(file.size);
    if (large) throw new MediaError(422, large);
    let out: Buffer;
    try {
      out = await (await openImage(file.path)).img
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
    } catch (err) {
      throw new MediaError(422, `cannot decode the image (${(err as Error).message.split('\n')[0]})`);
    }
    await mkdir(join(cacheDir, key.slice(0, 2)), { recursive: true });
    await writeFile(cached, out);
    return out;
  }
}

/** `cache-control` of an immutable answer (thumbnails by content hash); all else is `no-store` */
export const IMMUTABLE = 'private, max-age=31536000, immutable';

export type MediaBody = {
  type: string;
  size: number;
  /** a thumbnail asked for by the content hash it has: its bytes never change, caches may keep it */
  immutable?: boolean;
} & ({ bytes: Buffer } | { stream: ReadStream });

/** One media request: the original (streamed) or a rendition, or the thumbnail at `size`. */
export async function media(
  db: DB,
  thumbsDir: string,
  kind: MediaKind,
  fileId: number,
  size = 256,
): Promise<MediaBody> {
  const file = await resolveMedia(db, fileId);
  const type = kind === 'media' ? browserFormat(await firstBytes(file.path)) : undefined;
  if (type) {
    // an original the browser would decode: under the same pixel limit (a bomb would be the tab's)
    await checkDeclaredSize(file.path).catch((err) => {
      if (err instanceof PixelLimitError) throw new MediaError(422, err.message);
    });
    return { type, size: file.size, stream: createReadStream(file.path) };
  }
  const bytes = await webp(thumbsDir, file, kind === 'thumb' ? size : RENDITION_SIZE);
  return { type: 'image/webp', size: bytes.length, bytes };
}

/**
 * One media request as both transports name it, `/media/FILE_ID` or `/thumb/FILE_ID[/HASH]` (the
 * desktop app's `studio-media://media/FILE_ID` is the same path) with its `size` query, for
 * `caller`. A thumbnail named by the image's current content hash is immutable (a new version of
 * the file has a new hash, so a new URL); under an old hash it is served as it is now, not cached.
 * Every refusal is a MediaError with its 4xx status.
 */
export async function routeMedia(
  db: DB,
  thumbsDir: string,
  caller: Caller,
  path: string,
  sizeQuery: string | null,
): Promise<MediaBody> {
  const m = /^\/(media|thumb)\/([^/]+)(?:\/([0-9a-f]{64}))?$/.exec(path);
  if (!m || (m[3] && m[1] !== 'thumb'))
    throw new MediaError(404, 'no such media path: /media/FILE_ID or /thumb/FILE_ID[/HASH]?size=N');
  if (!/^[1-9]\d{0,15}$/.test(m[2])) throw new MediaError(400, 'file id must be a positive integer');
  const fileId = Number(m[2]);
  if (!mayReadFile(db, caller, fileId))
    throw new MediaError(403, "this image is not in this link's rating sessions");
  const kind = m[1] as MediaKind;
  const size = kind === 'thumb' ? thumbSize(sizeQuery) : undefined;
  try {
    const body = await media(db, thumbsDir, kind, fileId, size);
    return m[3] && m[3] === fileById(db, fileId)?.image_hash ? { ...body, immutable: true } : body;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new MediaError(403, 'permission denied');
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new MediaError(404, 'not found');
    throw err;
  }
}
