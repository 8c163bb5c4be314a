/**
 * Which ONNX export variants (dtypes) a bundle folder holds, and the file of each session in one:
 * `encoder_model.onnx` is fp32, `encoder_model_quantized.onnx` q8, `encoder_model_fp16.onnx` fp16
 * and so on (transformers.js's names), at the top of the folder or in `onnx/`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPE_SUFFIX, DTYPES, type Dtype } from '../../api/contract.ts';

/** The dtype of an ONNX file name and the session it is for ('decoder_model_merged', ...). */
export function parseOnnxName(file: string): { base: string; dtype: Dtype } | null {
  if (!file.endsWith('.onnx')) return null;
  const stem = file.slice(0, -'.onnx'.length);
  for (const dtype of DTYPES) {
    const suffix = DTYPE_SUFFIX[dtype];
    if (suffix && stem.endsWith(suffix)) return { base: stem.slice(0, -suffix.length), dtype };
  }
  return { base: stem, dtype: 'fp32' };
}

/** dtype -> session base name -> file, for every ONNX file in `dir` and `dir/onnx`. */
export type Variants = Map<Dtype, Map<string, string>>;

export function onnxVariants(dir: string): Variants {
  const out: Variants = new Map();
  for (const d of [dir, join(dir, 'onnx')]) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      const parsed = parseOnnxName(f);
      if (!parsed) continue;
      const byBase = out.get(parsed.dtype) ?? new Map<string, string>();
      if (!byBase.has(parsed.base)) byBase.set(parsed.base, join(d, f));
      out.set(parsed.dtype, byBase);
    }
  }
  return out;
}

export type DecoderLayout = 'merged' | 'split' | 'uncached';

/**
 * Which decoder files a variant's engine loads: the merged decoder where there is one (one copy of
 * the weights; as fast as the split pair, measured on the shipped model and a vit-gpt2-sized one),
 * else the split pair, else a decoder without a KV cache.
 */
export function decoderLayout(
  files: ReadonlyMap<string, string>,
  prefer?: 'split' | 'merged',
): DecoderLayout {
  const merged = files.has('decoder_model_merged');
  const split = files.has('decoder_model') && files.has('decoder_with_past_model');
  if (merged && (prefer !== 'split' || !split)) return 'merged';
  return split ? 'split' : 'uncached';
}

/** A variant's size on disk (its ONNX files and their external data). */
export function variantBytes(files: Iterable<string>): number {
  let n = 0;
  for (const f of files) {
    n += statSync(f).size;
    if (existsSync(`${f}_data`)) n += statSync(`${f}_data`).size;
  }
  return n;
}

/**
 * The dtype to load: the one asked for, else fp32 where it is complete, else the smallest
 * complete variant. `complete` says whether a variant has every session the model needs.
 */
export function chooseDtype(
  variants: Variants,
  complete: (files: Map<string, string>) => boolean,
  asked?: Dtype,
): Dtype | null {
  if (asked) return variants.has(asked) && complete(variants.get(asked)!) ? asked : null;
  const usable = DTYPES.filter((d) => variants.has(d) && complete(variants.get(d)!));
  if (usable.includes('fp32')) return 'fp32';
  const size = (d: Dtype) => variantBytes(variants.get(d)!.values());
  return usable.sort((a, b) => size(a) - size(b))[0] ?? null;
}
