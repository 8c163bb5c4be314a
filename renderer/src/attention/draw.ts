/**
 * The image view's heat-map: a token's map over the patch grid drawn as the CLI draws its PNGs
 * (graph/heatmap.ts: bilinear upsampling to the canvas's own size and aspect, inferno, opacity).
 */
import { heatmapRGBA, inferno } from '../../../electron/core/inference/graph/heatmap.ts';

export interface Heat {
  /** (tokens, rows, cols) */
  shape: [number, number, number];
  data: number[];
}

/** Draws token `token`'s map of `heat` over the whole canvas (cleared when there is none). */
export function drawHeat(canvas: HTMLCanvasElement, heat: Heat | null, token: number, opacity: number): void {
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!heat || !canvas.width || !canvas.height) return;
  const [T, rows, cols] = heat.shape;
  const t = Math.min(token, T - 1);
  const cells = heat.data.slice(t * rows * cols, (t + 1) * rows * cols);
  const rgba = heatmapRGBA(cells, [rows, cols], canvas.width, canvas.height, opacity);
  ctx.putImageData(new ImageData(rgba, canvas.width, canvas.height), 0, 0);
}

/** The colour map's legend as a CSS gradient (low to high attention). */
export function legendGradient(): string {
  const stops = Array.from({ length: 9 }, (_, i) => {
    const [r, g, b] = inferno(i / 8).map(Math.round);
    return `rgb(${r}, ${g}, ${b}) ${(i * 100) / 8}%`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
