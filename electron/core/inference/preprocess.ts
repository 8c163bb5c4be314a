/**
 * Image preprocessing as a Hugging Face image processor's `preprocessor_config.json` says:
 * EXIF orientation applied, colour converted to sRGB, alpha flattened onto white, resized to
 * `size`, rescaled by `rescale_factor`, normalised by `image_mean`/`image_std`, laid out CHW.
 */
import type { Metadata } from 'sharp';
import { z } from 'zod';
import { openImage } from '../images/decode.ts';

const Size = z.union([
  z
    .number()
    .int()
    .positive()
    .transform((n) => ({ height: n, width: n })),
  z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
  z
    .object({ shortest_edge: z.number().int().positive() })
    .transform((s) => ({ height: s.shortest_edge, width: s.shortest_edge })),
]);

export const PreprocessorConfig = z.object({
  do_resize: z.boolean().default(true),
  size: Size.default({ height: 224, width: 224 }),
  resample: z.number().int().min(0).max(5).default(2),
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

// PIL resample codes used by HF image processors -> sharp kernels
const KERNELS = ['nearest', 'lanczos3', 'linear', 'cubic', 'linear', 'linear'] as const;

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
  width: number;
  height: number;
  format: string;
}

/** Reads and preprocesses one image; bad input throws ImageDecodeError naming the file. */
export async function preprocessImage(
  file: string,
  input: Uint8Array,
  cfg: PreprocessorConfig,
): Promise<Decoded> {
  if (input.length === 0) throw new ImageDecodeError(file, 'empty file (0 bytes)');
  const { height: H, width: W } = cfg.size;
  let meta: Metadata | undefined;
  let format: string | undefined;
  let raw: Buffer;
  try {
    const opened = await openImage(input, { failOn: 'error', animated: false });
    const img = opened.img;
    meta = {
      ...(await img.metadata()),
      ...(opened.width ? { width: opened.width, height: opened.height } : {}),
    };
    format = opened.format ?? meta.format;
    if (!meta.width || !meta.height) throw new Error('no image dimensions');
    let p = img.rotate().toColourspace('srgb').flatten({ background: '#ffffff' });
    if (cfg.do_resize) p = p.resize(W, H, { fit: 'fill', kernel: KERNELS[cfg.resample] ?? 'linear' });
    const out = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3) throw new Error(`expected 3 colour channels, got ${out.info.channels}`);
    if (!cfg.do_resize && (out.info.width !== W || out.info.height !== H)) {
      throw new Error(
        `image is ${out.info.width}x${out.info.height} but the model needs ${W}x${H} and do_resize is off`,
      );
    }
    raw = out.data;
  } catch (err) {
    throw new ImageDecodeError(file, describeSharpError(err, format));
  }
  const orientedSwap = (meta.orientation ?? 1) >= 5;
  return {
    pixels: toCHW(raw, H, W, cfg),
    width: orientedSwap ? meta.height! : meta.width!,
    height: orientedSwap ? meta.width! : meta.height!,
    format: format ?? 'unknown',
  };
}

/** `format` is set when the header was read, so the failure came later, in the pixel data. */
function describeSharpError(err: unknown, format?: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) return 'not an image, or an unsupported image format';
  if (format) return `corrupt or truncated ${format} image (${msg.split('\n')[0]})`;
  if (/premature end|truncated|unexpected end|corrupt|read error|VipsJpeg|pngload|Invalid/i.test(msg)) {
    return `corrupt or truncated image (${msg.split('\n')[0]})`;
  }
  return `cannot decode image (${msg.split('\n')[0]})`;
}

export function toCHW(
  rgb: Buffer,
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
