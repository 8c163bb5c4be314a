/**
 * An image file's pixels as 8-bit RGB the way transformers' `load_image` gives them to an image
 * processor: `PIL.ImageOps.exif_transpose(image).convert('RGB')`. sharp (libvips) decodes; the
 * conversion to RGB is PIL's, not libvips' colour management:
 * - alpha is dropped, the colours beneath kept (no compositing);
 * - grey is copied to the three channels;
 * - CMYK is PIL's naive `cmyk2rgb` (R = (255 - K) - C * (255 - K) / 255, rounded), no ICC profile;
 * - embedded ICC profiles are ignored (PIL does not apply them);
 * - 16-bit RGB(A) and grey+alpha keep their high byte (PIL reads them as 8-bit modes); 16-bit grey
 *   is PIL's mode "I", whose conversion to RGB clips values above 255 to 255.
 * EXIF orientation is applied: `load_image` transposes, while the image processors themselves,
 * given an already-open image, do not.
 */
import { fullDecodes, openImage, PixelDataError } from './decode.ts';

export interface RgbImage {
  /** width x height x 3, rows top to bottom */
  data: Uint8Array;
  width: number;
  height: number;
  format?: string;
  /** the size the file declares before orientation (BMP: its own, the pixels may be scaled to fit) */
  declared: { width: number; height: number; orientation: number };
}

/** PIL's MULDIV255: a * b / 255, rounded as its integer trick rounds. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * Decodes the file and hands its pixels to `use` (which reduces them, e.g. resizes to a model's
 * input), inside the process's full-decode budget: the full-size pixels are held only in there.
 */
export async function decodeRgbAsPil<T>(input: Uint8Array | string, use: (img: RgbImage) => T): Promise<T> {
  const opened = await openImage(input, { failOn: 'error', animated: false, ignoreIcc: true });
  return fullDecodes.run(opened.pixels, async () => {
    const img = await decodeOpened(opened).catch((err) => {
      throw new PixelDataError(opened.format, err);
    });
    return use(img);
  });
}

async function decodeOpened(opened: Awaited<ReturnType<typeof openImage>>): Promise<RgbImage> {
  const meta = await opened.img.metadata();
  if (!meta.width || !meta.height) throw new Error('no image dimensions');
  const cmyk = meta.space === 'cmyk';
  const wide = meta.depth === 'ushort';
  const grey = (meta.channels ?? 3) <= 2;
  let p = opened.img.rotate();
  // keep libvips from converting colour spaces: its working space is the file's own
  const space = cmyk ? 'cmyk' : wide ? (grey ? 'grey16' : 'rgb16') : undefined;
  if (space) p = p.pipelineColourspace(space).toColourspace(space);
  else if (grey) p = p.pipelineColourspace('b-w').toColourspace('b-w');
  const { data, info } = await p.raw(wide ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
  const px = info.width * info.height;
  const ch = info.channels;
  const src = wide ? new Uint16Array(data.buffer, data.byteOffset, px * ch) : data;
  const plain = !wide && !cmyk && ch === 3; // already what PIL's RGB holds: no copy
  const out = plain ? data : new Uint8Array(px * 3);
  const value = wide
    ? ch === 1
      ? (v: number) => Math.min(v, 255) // mode "I" -> RGB clips
      : (v: number) => v >> 8
    : (v: number) => v;
  for (let i = 0; !plain && i < px; i++) {
    const s = i * ch;
    if (cmyk) {
      const nk = 255 - src[s + 3];
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.max(0, nk - mulDiv255(src[s + c], nk));
    } else if (ch <= 2) {
      out.fill(value(src[s]), i * 3, i * 3 + 3);
    } else {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = value(src[s + c]);
    }
  }
  return {
    data: out,
    width: info.width,
    height: info.height,
    format: opened.format,
    declared: {
      width: opened.width ?? meta.width,
      height: opened.height ?? meta.height,
      orientation: meta.orientation ?? 1,
    },
  };
}
