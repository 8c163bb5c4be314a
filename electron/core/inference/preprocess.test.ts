/**
 * Preprocessing gives the pixels the reference processor gives: each kind of image users bring,
 * written by PIL, preprocessed by us and by test/fixtures/pil-reference.py (transformers'
 * `load_image` + ViTImageProcessor / CLIPImageProcessor semantics, on PIL) for the vit-gpt2 and
 * Florence-2 processor configs and a CLIP-style shortest-edge + centre-crop config.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/images.ts';
import { resizePil } from '../images/resample.ts';
import { PreprocessorConfig, preprocessImage } from './preprocess.ts';

const REFERENCE = join(import.meta.dirname, '../../../test/fixtures/pil-reference.py');
const MODELS = join(import.meta.dirname, '../../../models/fixtures');

function python(args: string[]): void {
  const r = spawnSync('/usr/bin/python3', [REFERENCE, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pil-reference.py ${args[0]} failed: ${r.stderr}`);
}

const CONFIGS: Record<string, string> = {
  'vit-gpt2 (bilinear, 224x224)': join(MODELS, 'vit-gpt2-image-captioning/preprocessor_config.json'),
  'Florence-2 (bicubic, 768x768)': join(MODELS, 'florence-2-base/preprocessor_config.json'),
};

const CLIP = 'CLIP-style (bicubic, shortest edge 224, centre crop)';
let dir: string;
let images: string[];

beforeAll(() => {
  dir = tempDir('cs-pil-');
  python(['make', join(dir, 'img')]);
  images = readdirSync(join(dir, 'img')).sort();
  const clip = {
    do_resize: true,
    size: { shortest_edge: 224 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
  };
  writeFileSync(join(dir, 'clip.json'), JSON.stringify(clip));
  CONFIGS[CLIP] = join(dir, 'clip.json');
}, 120_000);

describe('preprocessing as PIL and transformers do it', () => {
  for (const name of [...Object.keys(CONFIGS), CLIP]) {
    it(`${name}: every image within one 8-bit level of the PIL reference`, async () => {
      const cfgFile = CONFIGS[name];
      const out = join(dir, name.replace(/\W+/g, '-'));
      python(['run', cfgFile, out, ...images.map((f) => join(dir, 'img', f))]);
      const cfg = PreprocessorConfig.parse(JSON.parse(readFileSync(cfgFile, 'utf8')));
      expect(images.length).toBeGreaterThanOrEqual(14);
      for (const f of images) {
        const ours = await preprocessImage(f, readFileSync(join(dir, 'img', f)), cfg);
        const buf = readFileSync(join(out, `${f}.f32`));
        const ref = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
        expect(ours.pixels.length, f).toBe(ref.length);
        const plane = ref.length / 3;
        let worst = 0;
        for (let c = 0; c < 3; c++) {
          // one 8-bit level after normalising, plus float32 rounding of the two computations (~1e-6)
          const level = cfg.rescale_factor / cfg.image_std[c] + 1e-5;
          for (let i = c * plane; i < (c + 1) * plane; i++) {
            worst = Math.max(worst, Math.abs(ours.pixels[i] - ref[i]) / level);
          }
        }
        expect(worst, `${f}: worst difference in 8-bit levels`).toBeLessThanOrEqual(1);
      }
    }, 120_000);
  }
});

describe('resizePil', () => {
  it('keeps a flat image flat and an unchanged size unchanged', () => {
    const flat = new Uint8Array(13 * 7 * 3).fill(77);
    for (const f of ['bilinear', 'bicubic', 'lanczos', 'box', 'hamming', 'nearest'] as const) {
      expect(new Set(resizePil(flat, 13, 7, 5, 11, f))).toEqual(new Set([77]));
    }
    const px = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 29) % 256);
    expect(Array.from(resizePil(px, 4, 3, 4, 3, 'bicubic'))).toEqual(Array.from(px));
    expect(() => resizePil(px, 5, 3, 2, 2, 'bicubic')).toThrow(/is not 5x3x3/);
  });
});
