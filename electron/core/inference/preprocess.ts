/**
 * Image preprocessing as a Hugging Face image processor (ViTImageProcessor, CLIPImageProcessor)
 * does it for its `preprocessor_config.json`, on the image transformers' `load_image` gives it
 * (images/pil-rgb.ts: EXIF-transposed, PIL's `convert('RGB')`): resized with PIL's filter named by
 * `resample` (images/resample.ts) to `size` (or its `shortest_edge`, aspect kept), centre-cropped to
 * `crop_size` when `do_center_crop`, rescaled by `rescale_factor`, normalised by
 * `image_mean`/`image_std`, laid out CHW.
 */
import { z } from 'zod';
import { PixelDataError } from '../images/decode.ts';
import { decodeRgbAsPil } from '../images/pil-rgb.ts';
import { PIL_FILTERS, resizePil } from '../images/resample.ts';

/** `shortestEdge`: the shorter side to this length, the other in proportion (then usually a centre crop) */
interface Size {
  height: number;
  width: number;
  shortestEdge?: number;
}
const HW = z.object({ height: z.number().int().positive(), width: z.number().int().positive() });
const Size = z.union([
  z
    .number()
    .int()
    .positive()
    .transform((n): Size => ({ height: n, width: n })),
  HW.transform((s): Size => s),
  z
    .object({ shortest_edge: z.number().int().positive() })
    .transform(
      (s): Size => ({ height: s.shortest_edge, width: s.shortest_edge, shortestEdge: s.shortest_edge }),
    ),
]);

export const PreprocessorConfig = z.object({
  do_resize: z.boolean().default(true),
  size: Size.default({ height: 224, width: 224 }),
  // a PIL `Resampling` code (PIL_FILTERS)
  resample: z.number().int().min(0).max(5).default(2),
  do_center_crop: z.boolean().nullable().optional(),
  crop_size: Size.optional(),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: z.array(z.number()).length(3).default([0.5, 0.5, 0.5]),
  image_std: z.array(z.number().positive()).length(3).default([0.5, 0.5, 0.5]),
  // null in some processors' files (Florence-2): the default
  do_convert_rgb: z
    .boolean()
    .nullable()
    .transform((v) => v ?? true)
    .default(true),
});
export type PreprocessorConfig = z.infer<typeof PreprocessorConfig>;

export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export interface Decoded {
  /** (3, H, W) normalised floats */
  pixels: Float32Array;
  /** the image's displayed size (after EXIF orientation) */
  width: number;
  height: number;
  format: string;
}

/** The size of the pixels the model is given: the crop when there is one, else `size`. */
export function inputSize(cfg: PreprocessorConfig): { height: number; width: number } {
  const s = cfg.do_center_crop && cfg.crop_size ? cfg.crop_size : cfg.size;
  return { height: s.height, width: s.width };
}

/** transformers' `get_resize_output_image_size`: the target (width, height) for an image of w x h. */
function resizeTarget(size: Size, w: number, h: number): [number, number] {
  if (size.shortestEdge === undefined) return [size.width, size.height];
  const e = size.shortestEdge;
  // the shorter side becomes e, the longer int(e * long / short) (truncated, as Python's int())
  return w <= h ? [e, Math.trunc((e * h) / w)] : [Math.trunc((e * w) / h), e];
}

/** transformers' `center_crop` of interleaved RGB (the crop is never larger than the image here). */
function centreCrop(rgb: Uint8Array, w: number, h: number, cw: number, ch: number): Uint8Array {
  if (cw > w || ch > h) throw new Error(`image ${w}x${h} is smaller than the crop ${cw}x${ch}`);
  const top = Math.trunc((h - ch) / 2);
  const left = Math.trunc((w - cw) / 2);
  const out = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++)
    out.set(rgb.subarray(((top + y) * w + left) * 3, ((top + y) * w + left + cw) * 3), y * cw * 3);
  return out;
}

/** Reads and preprocesses one image; bad input throws ImageDecodeError naming the file. */
export async function preprocessImage(
  file: string,
  input: Uint8Array,
  cfg: PreprocessorConfig,
): Promise<Decoded> {
  if (input.length === 0) throw new ImageDecodeError(file, 'empty file (0 bytes)');
  const { height: H, width: W } = inputSize(cfg);
  let format: string | undefined;
  try {
    return await decodeRgbAsPil(input, (img): Decoded => {
      format = img.format;
      const d = img.declared;
      const shown =
        d.orientation >= 5 ? { width: d.height, height: d.width } : { width: d.width, height: d.height };
      let [w, h] = [img.width, img.height];
      let rgb = img.data;
      if (cfg.do_resize) {
        const [rw, rh] = resizeTarget(cfg.size, w, h);
        rgb = resizePil(rgb, w, h, rw, rh, PIL_FILTERS[cfg.resample]);
        [w, h] = [rw, rh];
      }
      if (cfg.do_center_crop && cfg.crop_size) {
        rgb = centreCrop(rgb, w, h, W, H);
        [w, h] = [W, H];
      }
      if (w !== W || h !== H) {
        throw new Error(`image is ${w}x${h} but the model needs ${W}x${H} and do_resize is off`);
      }
      return { pixels: toCHW(rgb, H, W, cfg), ...shown, format: format ?? 'unknown' };
    });
  } catch (err) {
    throw new ImageDecodeError(file, describeSharpError(err, format));
  }
}

/**
 * A PixelDataError (or a set `format`) means the header was read, so the failure came later, in
 * the pixel data — whatever libvips's message says (it can be "Unknown error" when its error
 * buffer was taken by another thread).
 */
function describeSharpError(err: unknown, known?: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) return 'not an image, or an unsupported image format';
  const format = err instanceof PixelDataError ? err.format : known;
  if (format) return `corrupt or truncated ${format} image (${msg.split('\n')[0]})`;
  if (/premature end|truncated|unexpected end|corrupt|read error|VipsJpeg|pngload|Invalid/i.test(msg)) {
    return `corrupt or truncated image (${msg.split('\n')[0]})`;
  }
  return `cannot decode image (${msg.split('\n')[0]})`;
}

export function toCHW(
  rgb: Uint8Array,
  H: number,
  W: number,
  cfg: Pick<
    PreprocessorConfig,
    'do_rescale' | 'rescale_factor' | 'do_normalize' | 'image_mean' | 'image_std'
  >,
): Float32Array {
  const plane = H * W;
  const out = new Float32Array(3 * plane);
  const scale = cfg.do_rescale ? cfg.rescale_factor : 1;
  for (let c = 0; c < 3; c++) {
    const mean = cfg.do_normalize ? cfg.image_mean[c] : 0;
    const std = cfg.do_normalize ? cfg.image_std[c] : 1;
    const a = scale / std;
    const b = -mean / std;
    for (let i = 0, o = c * plane; i < plane; i++, o++) out[o] = rgb[i * 3 + c] * a + b;
  }
  return out;
}
