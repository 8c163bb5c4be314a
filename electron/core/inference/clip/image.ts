/**
 * CLIP's image preprocessing, as CLIPImageProcessor's `preprocessor_config.json` says: EXIF orientation
 * applied, sRGB, alpha flattened onto white, the shortest edge resized to `size.shortest_edge`
 * (bicubic; the long edge `floor(short * long / shortest)`, as HF and torchvision compute it), a
 * centre crop of `crop_size` at HF's `floor(excess / 2)` offsets, rescaled and normalised, CHW.
 *
 * The resampling is sharp's (libvips' bicubic, Catmull-Rom like PIL's) behind this one function, until
 * the PIL-exact resampler of the preprocessing issue replaces it; clip.test.ts measures the distance
 * to PIL.
 */
import sharp from 'sharp';
import { z } from 'zod';
import { openImage } from '../../images/decode.ts';
import { ImageDecodeError, toCHW } from '../preprocess.ts';

const Side = z.union([
  z.number().int().positive(),
  z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
]);

export const ClipImageConfig = z.object({
  size: z
    .union([z.object({ shortest_edge: z.number().int().positive() }), z.number().int().positive()])
    .default({
      shortest_edge: 224,
    }),
  crop_size: Side.default(224),
  // CLIP's processors always crop; a file saying otherwise is read as if it did
  do_center_crop: z.boolean().default(true),
  resample: z.number().int().default(3),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: z.array(z.number()).length(3).default([0.48145466, 0.4578275, 0.40821073]),
  image_std: z.array(z.number().positive()).length(3).default([0.26862954, 0.26130258, 0.27577711]),
});
export type ClipImageConfig = z.infer<typeof ClipImageConfig>;

/** The (height, width) the model takes. */
export function cropSize(cfg: ClipImageConfig): { height: number; width: number } {
  const c = cfg.crop_size;
  return typeof c === 'number' ? { height: c, width: c } : c;
}

/** `(3, H, W)` normalised floats of one image; bad input throws ImageDecodeError naming the file. */
export async function clipPixels(
  file: string,
  input: Uint8Array,
  cfg: ClipImageConfig,
): Promise<Float32Array> {
  if (input.length === 0) throw new ImageDecodeError(file, 'empty file (0 bytes)');
  const shortest = typeof cfg.size === 'number' ? cfg.size : cfg.size.shortest_edge;
  const { height: H, width: W } = cropSize(cfg);
  let rgb: Buffer;
  try {
    const opened = await openImage(input, { failOn: 'error', animated: false });
    const upright = await opened.img
      .rotate()
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width: w, height: h } = upright.info;
    const rw = w <= h ? shortest : Math.floor((shortest * w) / h);
    const rh = w <= h ? Math.floor((shortest * h) / w) : shortest;
    if (rw < W || rh < H) throw new Error(`resized to ${rw}x${rh}, smaller than the ${W}x${H} crop`);
    const out = await sharp(upright.data, { raw: { width: w, height: h, channels: 3 } })
      .resize(rw, rh, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
      .extract({ left: Math.floor((rw - W) / 2), top: Math.floor((rh - H) / 2), width: W, height: H })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3) throw new Error(`expected 3 colour channels, got ${out.info.channels}`);
    rgb = out.data;
  } catch (err) {
    throw new ImageDecodeError(file, `cannot preprocess image (${(err as Error).message.split('\n')[0]})`);
  }
  return toCHW(rgb, H, W, cfg);
}
