/** Shared by the inference tests: the shipped default bundle and its parity fixtures. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MODELS_DIR = resolve(import.meta.dirname, '../../models');
export const DEFAULT_BUNDLE = join(MODELS_DIR, 'default');
export const PARITY_DIR = join(DEFAULT_BUNDLE, 'parity');
/** Interface-faithful bundles of public models, written by the tests' global setup. */
export const FIXTURES = resolve(import.meta.dirname, '../../test-output/fixtures');

export interface FixtureHyp {
  tokens: number[];
  sum: number;
  score: number;
}

export interface FixtureReference {
  images: string[];
  generation: Record<string, unknown>;
  /** bundle folder -> the family of files it holds */
  layouts: Record<string, string>;
  families: Record<string, { greedy: FixtureHyp[]; beam5: FixtureHyp[][] }>;
  /** Florence-2: per family (variant), per task, greedy and the model's own 3-beam search */
  florence: {
    images: string[];
    generation: Record<string, unknown>;
    families: Record<
      string,
      {
        suffix: string;
        tasks: Record<
          string,
          { greedy: (FixtureHyp & { text: string })[]; beam3: (FixtureHyp & { text: string })[][] }
        >;
      }
    >;
  };
}

export const fixtureReference = (): FixtureReference =>
  JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8'));

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
