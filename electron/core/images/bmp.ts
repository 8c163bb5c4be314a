/**
 * BMP, which libvips does not read: the header parsed here (what the file declares, before any
 * pixel is allocated), the pixels decoded by bmp-ts in a worker thread of its own, so a large BMP
 * never holds the thread that answers the UI.
 * Header layout: BITMAPFILEHEADER (14 bytes) then an info header of 40, 52, 56, 108 or 124 bytes
 * (the sizes bmp-ts reads), width and height as signed 32-bit at offsets 18 and 22 (a negative
 * height means rows top-down), bits per pixel at 28, compression at 30, palette size at 46.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export const isBmp = (head: Uint8Array) => head[0] === 0x42 && head[1] === 0x4d; // "BM"

/** Bytes of the BMP header that say the image's size. */
export const BMP_HEADER_BYTES = 54;
const INFO_HEADER_SIZES = new Set([40, 52, 56, 108, 124]);
const COMPRESSIONS = ['RGB', 'RLE8', 'RLE4', 'bitfields', 'JPEG', 'PNG', 'alpha bitfields'];

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  compression: string;
}

/** What a BMP's header declares; throws (naming what is wrong) for a header that cannot be one. */
export function bmpHeader(head: Uint8Array): BmpHeader {
  if (head.length < BMP_HEADER_BYTES)
    throw new Error(`truncated bmp image (a header of ${head.length} bytes)`);
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const infoSize = v.getUint32(14, true);
  if (!INFO_HEADER_SIZES.has(infoSize))
    throw new Error(`unsupported bmp image (an info header of ${infoSize} bytes)`);
  const width = v.getInt32(18, true);
  const height = Math.abs(v.getInt32(22, true));
  const bitsPerPixel = v.getUint16(28, true);
  const compression = COMPRESSIONS[v.getUint32(30, true)] ?? `type ${v.getUint32(30, true)}`;
  const colours = v.getUint32(46, true);
  if (!(width > 0 && height > 0)) throw new Error(`corrupt bmp image (declares ${width}x${height})`);
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel))
    throw new Error(`corrupt bmp image (${bitsPerPixel} bits per pixel)`);
  if (colours > 256) throw new Error(`corrupt bmp image (a palette of ${colours} colours)`);
  return { width, height, bitsPerPixel, compression };
}

// The worker: bmp-ts and sharp as CommonJS, resolved here so the worker needs no loader. It
// decodes to RGBA, drops the alpha (most BMPs leave it zero) and, for an image larger than
// `maxSide`, scales it down there, so only the result (at most maxSide x maxSide RGB) crosses to
// the caller's thread, its buffer transferred, not copied.
const here = createRequire(import.meta.url);
const MODULES = { bmpTs: here.resolve('bmp-ts'), sharp: here.resolve('sharp') };
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { decode } = require(w.modules.bmpTs);
const sharp = require(w.modules.sharp);
(async () => {
  const bmp = decode(Buffer.from(w.bytes), { toRGBA: true });
  const width = bmp.width;
  const height = Math.abs(bmp.height);
  let img = sharp(bmp.data, { raw: { width, height, channels: 4 }, limitInputPixels: false }).removeAlpha();
  if (Math.max(width, height) > w.maxSide) img = img.resize(w.maxSide, w.maxSide, { fit: 'inside' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
  parentPort.postMessage({ width, height, data: own, dataWidth: info.width, dataHeight: info.height }, [own.buffer]);
})();
`;

/**
 * The longest side of the pixels a BMP decode hands back: the largest thumbnail and rendition
 * (media.ts) and every model input are no larger. A larger BMP is scaled down in the worker.
 */
export const BMP_MAX_SIDE = 2048;

export interface DecodedBmp {
  /** the image's own size */
  width: number;
  height: number;
  /** RGB pixels, dataWidth x dataHeight (the image scaled to fit BMP_MAX_SIDE) */
  data: Uint8Array;
  dataWidth: number;
  dataHeight: number;
}

function decodeInWorker(bytes: Uint8Array): Promise<DecodedBmp> {
  return new Promise((resolve, reject) => {
    // execArgv: none of the parent's flags (`--input-type=module` would make this script a module)
    const workerData = { modules: MODULES, bytes, maxSide: BMP_MAX_SIDE };
    const worker = new Worker(WORKER, { eval: true, execArgv: [], workerData });
    let settled = false;
    worker.once('message', (m: DecodedBmp) => {
      settled = true;
      resolve(m);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(new Error(`corrupt or truncated bmp image (${err.message})`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`corrupt bmp image (its decoder stopped with code ${code})`));
    });
  });
}

// one BMP decode at a time per thread: a batch of large BMPs holds one full-size image at once
let queue: Promise<unknown> = Promise.resolve();

/** Decodes a BMP (already checked by `bmpHeader` against the pixel limit) in a worker thread. */
export function decodeBmp(bytes: Uint8Array): Promise<DecodedBmp> {
  const run = queue.then(() => decodeInWorker(bytes));
  queue = run.catch(() => {});
  return run;
}
