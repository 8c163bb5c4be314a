/**
 * Reading an image file for captioning: its bytes and their SHA-256, the image's identity. The
 * hash is computed chunk by chunk as the file streams in, so a large photo never holds the event
 * loop for the whole file; a file over the size limit is refused before it is read, and so is a
 * file whose link leads outside its library folder (inside.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { OutsideError, realInside } from './inside.ts';

export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`${file}: cannot read file (${code})`);
  }
}

/** Files above this are not read (a clear per-file error instead): CAPTION_STUDIO_MAX_FILE_MB, default 256. */
export function maxFileBytes(env = process.env): number {
  const mb = Number(env.CAPTION_STUDIO_MAX_FILE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 256) * 2 ** 20;
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MB`;

/** Why a file of `size` bytes is not read, or undefined when it may be. */
export function tooLarge(size: number, limit = maxFileBytes()): string | undefined {
  return size > limit
    ? `file too large (${mb(size)}; the limit is ${mb(limit)}, set CAPTION_STUDIO_MAX_FILE_MB to change it)`
    : undefined;
}

export interface Read {
  bytes: Buffer;
  hash: string;
}

/** Reads library file `file`, listed in library folder `root`, through its checked real path. */
export async function readAndHash(file: string, root: string): Promise<Read> {
  let size: number;
  let real: string;
  try {
    real = await realInside(root, file);
    size = (await stat(real)).size;
  } catch (err) {
    if (err instanceof OutsideError) throw err;
    throw new FileReadError(file, String((err as NodeJS.ErrnoException).code ?? err));
  }
  const large = tooLarge(size);
  if (large) throw new Error(`${file}: ${large}`);
  const h = createHash('sha256');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(real, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw new FileReadError(file, String((err as NodeJS.ErrnoException).code ?? err));
  }
  return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), hash: h.digest('hex') };
}
