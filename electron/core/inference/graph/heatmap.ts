/**
 * Drawing a heat-map of attention over image cells, as papers draw them: the grid upsampled
 * bilinearly (cell centres, edges clamped) to the photo's own size, coloured by a perceptual
 * colour map (inferno), blended at an opacity. Plain TypeScript with no Node imports: the CLI's PNGs
 * and the renderer's overlay are the same rendering.
 */

/** inferno, sampled at 9 evenly spaced stops (0 dark, 1 bright); linear in between */
const INFERNO: readonly [number, number, number][] = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

/** The colour map's RGB at t in [0, 1] (clamped). */
export function inferno(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [INFERNO[i], INFERNO[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** `cells` (rows x cols, raster order) sampled at width x height pixel centres, bilinearly. */
export function upsample(
  cells: ArrayLike<number>,
  rows: number,
  cols: number,
  width: number,
  height: number,
): Float32Array {
  const out = new Float32Array(width * height);
  const at = (r: number, c: number) => cells[r * cols + c];
  for (let y = 0; y < height; y++) {
    const gy = Math.min(rows - 1, Math.max(0, ((y + 0.5) * rows) / height - 0.5));
    const r0 = Math.floor(gy);
    const r1 = Math.min(rows - 1, r0 + 1);
    const fy = gy - r0;
    for (let x = 0; x < width; x++) {
      const gx = Math.min(cols - 1, Math.max(0, ((x + 0.5) * cols) / width - 0.5));
      const c0 = Math.floor(gx);
      const c1 = Math.min(cols - 1, c0 + 1);
      const fx = gx - c0;
      const top = at(r0, c0) * (1 - fx) + at(r0, c1) * fx;
      const bottom = at(r1, c0) * (1 - fx) + at(r1, c1) * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** RGBA pixels of the heat-map (scaled so the map's largest cell is the brightest), alpha = opacity. */
export function heatmapRGBA(
  cells: ArrayLike<number>,
  grid: readonly [number, number],
  width: number,
  height: number,
  opacity: number,
): Uint8ClampedArray<ArrayBuffer> {
  const up = upsample(cells, grid[0], grid[1], width, height);
  let max = 0;
  for (let i = 0; i < cells.length; i++) max = Math.max(max, cells[i]);
  const out = new Uint8ClampedArray(width * height * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  for (let i = 0; i < up.length; i++) {
    const [r, g, b] = inferno(max > 0 ? up[i] / max : 0);
    out.set([r, g, b, alpha], i * 4);
  }
  return out;
}

/** `rgb` (3 channels) with the heat-map blended over it: a new buffer. */
export function overlayRGB(
  rgb: Uint8Array,
  cells: ArrayLike<number>,
  grid: readonly [number, number],
  width: number,
  height: number,
  opacity: number,
): Uint8Array {
  const map = heatmapRGBA(cells, grid, width, height, 1);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++)
    for (let ch = 0; ch < 3; ch++)
      out[i * 3 + ch] = Math.round(rgb[i * 3 + ch] * (1 - opacity) + map[i * 4 + ch] * opacity);
  return out;
}
