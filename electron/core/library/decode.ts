/**
 * The one way image files are opened for pixels: sharp (libvips), except BMP, which libvips does
 * not read: bmp-ts decodes it and sharp takes the raw pixels from there. Used for captioning and
 * for thumbnails alike.
 */
import { open, readFile } from 'node:fs/promises';
import { decode } from 'bmp-ts';
import sharp, { type Sharp, type SharpOptions } from 'sharp';

const isBmp = (head: Uint8Array) => head[0] === 0x42 && head[1] === 0x4d; // "BM"

/** The first `n` bytes of a file (fewer if it is shorter): enough to tell its format. */
export async function firstBytes(path: string, n = 16): Promise<Buffer> {
  const fh = await open(path);
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(n), 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** BMP pixels as sharp raw RGB input; alpha dropped (most BMPs leave it zero). */
function fromBmp(bytes: Uint8Array, options: SharpOptions): Sharp {
  let bmp: { width: number; height: number; data: Buffer };
  try {
    bmp = decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: true });
  } catch (err) {
    throw new Error(`corrupt or truncated bmp image (${(err as Error).message})`);
  }
  if (!(bmp.width > 0 && bmp.height > 0)) throw new Error('corrupt bmp image (no dimensions)');
  const pixels = bmp.width * Math.abs(bmp.height);
  const rgb = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) bmp.data.copy(rgb, i * 3, i * 4, i * 4 + 3);
  return sharp(rgb, { ...options, raw: { width: bmp.width, height: Math.abs(bmp.height), channels: 3 } });
}

/**
 * A sharp pipeline over a file's bytes (or its path); `format` is set where sharp's own metadata
 * would not name the file's format (BMP comes in as raw pixels).
 */
export async function openImage(
  input: string | Uint8Array,
  options: SharpOptions = {},
): Promise<{ img: Sharp; format?: string }> {
  if (!isBmp(typeof input === 'string' ? await firstBytes(input, 2) : input))
    return { img: sharp(input, options) };
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return { img: fromBmp(bytes, options), format: 'bmp' };
}
