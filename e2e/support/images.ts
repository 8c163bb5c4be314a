/**
 * Real image files for tests: the scene PNGs shipped with the default bundle's parity fixtures,
 * re-encoded by sharp into distinct files (formats, sizes, EXIF orientation), plus broken files of
 * every kind the library meets (empty, truncated, not an image, random bytes, corrupt data).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { PARITY_DIR } from './bundles.ts';

/** The parity scenes (not the flat image the beam-stopping case uses). */
export const sceneFiles = () =>
  readdirSync(join(PARITY_DIR, 'images'))
    .filter((f) => f.startsWith('test-') && f.endsWith('.png'))
    .sort()
    .map((f) => join(PARITY_DIR, 'images', f));

export function tempDir(prefix = 'cs-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const VARIANTS: ((s: Sharp) => { s: Sharp; ext: string })[] = [
  (s) => ({ s: s.png(), ext: 'png' }),
  (s) => ({ s: s.jpeg({ quality: 92 }), ext: 'jpg' }),
  (s) => ({ s: s.resize(192, 192).jpeg({ quality: 85 }), ext: 'jpeg' }),
  (s) => ({ s: s.webp({ quality: 90 }), ext: 'webp' }),
  (s) => ({ s: s.resize(144, 144).png(), ext: 'png' }),
  (s) => ({ s: s.flop().jpeg({ quality: 80 }), ext: 'jpg' }),
];

/** Writes `count` distinct good images (different bytes, so different hashes) into dir. */
export async function writeGoodImages(dir: string, count: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const scenes = sceneFiles();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const src = scenes[i % scenes.length];
    const variant = VARIANTS[Math.floor(i / scenes.length) % VARIANTS.length];
    // rotate by a multiple of 90 degrees beyond the variants, so every file differs
    const turns = Math.floor(i / (scenes.length * VARIANTS.length));
    const { s, ext } = variant(sharp(src).rotate(90 * turns));
    const file = join(dir, `img-${String(i).padStart(3, '0')}.${ext}`);
    writeFileSync(file, await s.toBuffer());
    out.push(file);
  }
  return out;
}

export const BROKEN_KINDS = ['empty', 'truncated', 'text', 'random', 'corrupt'] as const;

/** One broken file of each kind (named so its reason is predictable). */
export function writeBrokenImages(dir: string): Record<(typeof BROKEN_KINDS)[number], string> {
  mkdirSync(dir, { recursive: true });
  const png = readFileSync(sceneFiles()[0]);
  const files = {
    empty: join(dir, 'broken-empty.jpg'),
    truncated: join(dir, 'broken-truncated.png'),
    text: join(dir, 'broken-text.png'),
    random: join(dir, 'broken-random.jpg'),
    corrupt: join(dir, 'broken-corrupt.png'),
  };
  writeFileSync(files.empty, Buffer.alloc(0));
  writeFileSync(files.truncated, png.subarray(0, Math.floor(png.length / 3)));
  writeFileSync(files.text, 'this is a text file, not a picture\n');
  const random = Buffer.alloc(4096);
  let seed = 7;
  for (let i = 0; i < random.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff; // fixed LCG: the same bytes every run
    random[i] = seed & 0xff;
  }
  writeFileSync(files.random, random);
  const corrupt = Buffer.from(png);
  for (let i = 60; i < corrupt.length - 20; i += 7) corrupt[i] ^= 0x5a; // damage the compressed data
  writeFileSync(files.corrupt, corrupt);
  return files;
}

/** A 24-bit BMP file of `rgb` (w x h, row-major, top row first), as Windows writes them. */
export function bmpFile(rgb: Uint8Array, w: number, h: number): Buffer {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * h);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10); // pixel data offset
  out.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22); // positive: rows bottom-up
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * h, 34);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 3;
      const dst = 54 + (h - 1 - y) * stride + x * 3;
      out[dst] = rgb[src + 2];
      out[dst + 1] = rgb[src + 1];
      out[dst + 2] = rgb[src];
    }
  return out;
}
