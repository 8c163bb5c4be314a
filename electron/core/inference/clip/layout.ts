/**
 * What makes a folder a CLIP scorer (the `scorer` role beside the captioners): a `config.json` of
 * `model_type` 'clip', CLIP's BPE `merges.txt`, a `preprocessor_config.json`, and at least one
 * export variant with both towers (`onnx/text_model{S}.onnx`, `onnx/vision_model{S}.onnx`), as the
 * transformers.js copies (Xenova/clip-vit-base-patch32, -patch16, clip-vit-large-patch14) are laid out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPES, type Dtype } from '../../api/contract.ts';
import { onnxVariants } from '../runtime/variants.ts';

export const TOWERS = ['text_model', 'vision_model'] as const;

/** The export variants holding both towers, in DTYPES order. */
export function clipVariants(dir: string): Dtype[] {
  const variants = onnxVariants(dir);
  return DTYPES.filter((d) => TOWERS.every((t) => variants.get(d)?.has(t)));
}

export function isClipScorer(dir: string): boolean {
  let config: { model_type?: unknown } | null = null;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch {
    return false;
  }
  return (
    config?.model_type === 'clip' &&
    existsSync(join(dir, 'merges.txt')) &&
    existsSync(join(dir, 'preprocessor_config.json')) &&
    clipVariants(dir).length > 0
  );
}
