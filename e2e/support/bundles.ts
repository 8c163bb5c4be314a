/** Shared by the inference tests: the shipped default bundle and its parity fixtures. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_BUNDLE = resolve(import.meta.dirname, '../../models/default');
export const PARITY_DIR = join(DEFAULT_BUNDLE, 'parity');

export interface GoldenHyp {
  tokens: number[];
  sum: number;
  score: number;
}

export interface Golden {
  images: string[];
  encoder: { images: number; shape: number[]; last_hidden_state: number[] };
  decoder_steps: { input_ids: number[]; logits: number[][] };
  greedy: { settings: Record<string, unknown>; results: GoldenHyp[] }[];
  beam: { settings: Record<string, unknown>; results: GoldenHyp[][] }[];
}

export function loadGolden(): Golden {
  return JSON.parse(readFileSync(join(PARITY_DIR, 'golden.json'), 'utf8'));
}

export const parityImages = (g: Golden) => g.images.map((f) => join(PARITY_DIR, 'images', f));
