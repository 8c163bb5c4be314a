/**
 * Decoding settings: validated, filled from the model's generation_config.json, canonicalised.
 * No Node imports: the renderer validates with the same schema.
 */
import { z } from 'zod';

export const DecodingOptions = z
  .object({
    num_beams: z.number().int().min(1).max(32),
    num_return_sequences: z.number().int().min(1).max(32),
    max_length: z.number().int().min(2).max(512),
    min_length: z.number().int().min(0).max(512),
    length_penalty: z.number().min(-10).max(10),
    early_stopping: z.union([z.boolean(), z.literal('never')]),
    no_repeat_ngram_size: z.number().int().min(0).max(16),
    repetition_penalty: z.number().positive().max(10),
    /** decoder layer whose cross-attention becomes the heat-map; negative counts from the end */
    attention_layer: z.number().int().min(-64).max(63),
  })
  .partial()
  .strict();
export type DecodingOptions = z.infer<typeof DecodingOptions>;
export type Decoding = Required<DecodingOptions>;

export const DEFAULT_DECODING: Decoding = {
  num_beams: 1,
  num_return_sequences: 1,
  max_length: 20, // HF's default
  min_length: 0,
  length_penalty: 1.0,
  early_stopping: false,
  no_repeat_ngram_size: 0,
  repetition_penalty: 1.0,
  attention_layer: -1,
};

/** Model defaults (generation_config.json) < explicit options; invalid combinations rejected. */
export function resolveDecoding(
  modelDefaults: Record<string, unknown>,
  options: DecodingOptions = {},
): Decoding {
  const fromModel: DecodingOptions = {};
  for (const key of Object.keys(DEFAULT_DECODING) as (keyof Decoding)[]) {
    if (modelDefaults[key] !== undefined && modelDefaults[key] !== null) {
      (fromModel as Record<string, unknown>)[key] = modelDefaults[key];
    }
  }
  const merged = {
    ...DEFAULT_DECODING,
    ...DecodingOptions.parse(fromModel),
    ...DecodingOptions.parse(options),
  };
  if (merged.num_return_sequences > merged.num_beams) {
    throw new Error(
      `num_return_sequences (${merged.num_return_sequences}) must not exceed num_beams (${merged.num_beams})`,
    );
  }
  if (merged.min_length >= merged.max_length) {
    throw new Error(`min_length (${merged.min_length}) must be below max_length (${merged.max_length})`);
  }
  return merged;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
