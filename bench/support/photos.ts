/** Photo-size test images for the benchmarks, made at bench time (never committed). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { sceneFiles } from '../../test/fixtures/images.ts';

const W = 1600;
const H = 1200;

/** N distinct 1600 x 1200 JPEGs (quality 85, ~photo-sized files): a scene over fine texture. */
export async function writePhotos(dir: string, N: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const noise = Buffer.alloc((W + 200) * (H + 200) * 3);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = 80 + ((x >> 16) % 96);
  }
  const texture = await sharp(noise, { raw: { width: W + 200, height: H + 200, channels: 3 } })
    .blur(0.8)
    .raw()
    .toBuffer();
  const scenes = await Promise.all(
    sceneFiles().map((f) => sharp(f).resize(W, H, { kernel: 'cubic' }).png().toBuffer()),
  );
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const file = join(dir, `photo-${String(i).padStart(4, '0')}.jpg`);
    await sharp(texture, { raw: { width: W + 200, height: H + 200, channels: 3 } })
      .extract({ left: i % 200, top: Math.floor(i / 200) % 200, width: W, height: H }) // distinct for i < 40,000
      .composite([{ input: scenes[i % scenes.length], blend: 'overlay' }])
      .jpeg({ quality: 85 })
      .toFile(file);
    files.push(file);
  }
  return files;
}
