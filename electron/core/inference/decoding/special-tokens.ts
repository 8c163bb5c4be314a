/**
 * The special tokens generation needs, read as Hugging Face reads them: generation_config.json
 * first, then config.json, then the decoder's part of config.json.
 */
import { join } from 'node:path';
import { BundleError } from '../errors.ts';

export interface SpecialTokens {
  start: number;
  eos: number;
  pad: number;
  /** the first generated token, when the model forces it (BART-style decoders) */
  forcedBos?: number;
  /** the token at max_length - 1, when the model forces it */
  forcedEos?: number;
}

type Json = Record<string, unknown>;

/** A number, or the first of a list of numbers (HF allows lists of EOS ids). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return undefined;
}

export function specialTokens(config: Json, gen: Json, dec: Json, dir: string): SpecialTokens {
  const start =
    num(gen.decoder_start_token_id) ??
    num(config.decoder_start_token_id) ??
    num(dec.decoder_start_token_id) ??
    num(gen.bos_token_id) ??
    num(dec.bos_token_id);
  const eos = num(gen.eos_token_id) ?? num(config.eos_token_id) ?? num(dec.eos_token_id);
  const pad = num(gen.pad_token_id) ?? num(config.pad_token_id) ?? num(dec.pad_token_id) ?? eos;
  if (start === undefined)
    throw new BundleError(`${join(dir, 'generation_config.json')}: no decoder_start_token_id`);
  if (eos === undefined) throw new BundleError(`${join(dir, 'generation_config.json')}: no eos_token_id`);
  return {
    start,
    eos,
    pad: pad ?? eos,
    forcedBos: num(gen.forced_bos_token_id),
    forcedEos: num(gen.forced_eos_token_id),
  };
}
