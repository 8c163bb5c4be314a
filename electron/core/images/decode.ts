/**
 * The one way image files are opened for pixels, for captioning and thumbnails alike: sharp
 * (libvips), except BMP, which libvips does not read (bmp.ts decodes it in a worker thread and
 * sharp takes the raw pixels from there).
 *
 * Every format passes one guard before anything is decoded or allocated: the size the file's
 * header declares (sharp's `metadata()` reads only the header; a BMP's header is parsed here) is
 * checked against the pixel limit, so a small file declaring a huge image (a decompression bomb)
 * is a per-file error, not gigabytes. sharp is also given the same limit as its own
 * `limitInputPixels`, in case a decoder meets a larger image than the header said.
 */
import { open, readFile } from 'node:fs/promises';
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { BMP_HEADER_BYTES, bmpHeader, decodeBmp, isBmp } from './bmp.ts';

// libvips' operation cache (by default up to 50 MB of recent results) never serves us: every file is
// decoded once per job, and thumbnails are cached as files. Off, it holds no memory.
sharp.cache(false);

/**
 * Images above this many pixels are not decoded: CAPTION_STUDIO_MAX_MEGAPIXELS, default 100
 * (a 100-megapixel camera's photo; as 8-bit RGB about 300 MB while decoded).
 */
export function maxPixels(env = process.env): number {
  const mp = Number(env.CAPTION_STUDIO_MAX_MEGAPIXELS);
  return Math.round((Number.isFinite(mp) && mp > 0 ? mp : 100) * 1e6);
}

export interface Declared {
  format: string;
  width: number;
  height: number;
}

/** Why an image of the declared size is not decoded, or undefined when it may be. */
export function tooManyPixels(d: Declared, limit = maxPixels()): string | undefined {
  const mp = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} megapixels`;
  const px = d.width * d.height;
  return px > limit
    ? `${d.format} image declares ${d.width}x${d.height} (${mp(px)}); the limit is ${mp(limit)} (set CAPTION_STUDIO_MAX_MEGAPIXELS to change it)`
    : undefined;
}

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

/**
 * The format and size a file's header declares, read without decoding pixels. Throws for an
 * empty file and for a header no decoder can read.
 */
export async function declaredSize(input: string | Uint8Array): Promise<Declared> {
  const head = typeof input === 'string' ? await firstBytes(input, BMP_HEADER_BYTES) : input;
  if (head.length === 0) throw new Error('empty file (0 bytes)');
  if (isBmp(head)) return { format: 'bmp', ...bmpHeader(head) };
  const meta = await sharp(input, { limitInputPixels: false }).metadata();
  if (!meta.width || !meta.height) throw new Error('no image dimensions');
  // an animated image or a multi-page TIFF is decoded as its first page
  const height = meta.pageHeight ?? meta.height;
  return { format: meta.format ?? 'unknown', width: meta.width, height };
}

/** The guard: the declared size, checked against the pixel limit; throws a clear error over it. */
export async function checkDeclaredSize(input: string | Uint8Array, limit = maxPixels()): Promise<Declared> {
  const d = await declaredSize(input);
  const over = tooManyPixels(d, limit);
  if (over) throw new PixelLimitError(over);
  return d;
}

export class PixelLimitError extends Error {}

/** The header was read (so the file is a `format` image) but its pixel data could not be decoded. */
export class PixelDataError extends Error {
  constructor(
    readonly format: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * A sharp pipeline over a file's bytes (or its path), once its declared size has passed the
 * guard, with the format its header declared. For BMP, which comes in as raw pixels (scaled to
 * fit BMP_MAX_SIDE), the image's own `width` and `height` are set, as sharp's metadata would not say them.
 */
export async function openImage(
  input: string | Uint8Array,
  options: SharpOptions = {},
): Promise<{ img: Sharp; format: string; pixels: number; width?: number; height?: number }> {
  const limit = maxPixels();
  const declared = await checkDeclaredSize(input, limit);
  const opts: SharpOptions = { ...options, limitInputPixels: limit };
  if (declared.format !== 'bmp') {
    const pixels = declared.width * declared.height;
    return { img: sharp(input, opts), format: declared.format, pixels };
  }
  const bmp = await decodeBmp(typeof input === 'string' ? await readFile(input) : input);
  const raw = { width: bmp.dataWidth, height: bmp.dataHeight, channels: 3 as const };
  const pixels = bmp.dataWidth * bmp.dataHeight;
  return {
    img: sharp(bmp.data, { ...opts, raw }),
    format: 'bmp',
    pixels,
    width: bmp.width,
    height: bmp.height,
  };
}

/**
 * Full-size decodes in flight hold at most the pixel limit's worth of pixels together: a batch of
 * images each just under the limit is decoded one after another, not side by side (eight 81 MP
 * photos decoded at once took a caption run to 2.4 GB). An image is admitted when nothing else is
 * in flight, so one at the limit always proceeds; small images still decode in parallel.
 */
export class PixelBudget {
  private inFlight = 0;
  private readonly waiting: { pixels: number; go: () => void }[] = [];
  constructor(private readonly budget: () => number = maxPixels) {}

  async run<T>(pixels: number, work: () => Promise<T>): Promise<T> {
    if (this.inFlight > 0 && (this.waiting.length > 0 || this.inFlight + pixels > this.budget())) {
      await new Promise<void>((go) => this.waiting.push({ pixels, go }));
    } else this.inFlight += pixels;
    try {
      return await work();
    } finally {
      this.inFlight -= pixels;
      this.admit();
    }
  }

  /** In order of arrival: a large image waiting is not overtaken by smaller ones forever. */
  private admit(): void {
    for (let next = this.waiting[0]; next; next = this.waiting[0]) {
      if (this.inFlight > 0 && this.inFlight + next.pixels > this.budget()) return;
      this.waiting.shift();
      this.inFlight += next.pixels;
      next.go();
    }
  }
}

/** The budget every full-size decode in this process shares. */
export const fullDecodes = new PixelBudget();
