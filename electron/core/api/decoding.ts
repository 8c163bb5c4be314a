/**
 * Decoding settings as requests carry them: field ranges and the cross-field rules, checked at the
 * boundary so every transport reports them as field errors. No Node imports (the renderer uses it).
 * Resolution against a model's generation_config.json, with the same rules, is
 * `inference/decoding/settings.ts`.
 */
import { z } from 'zod';

/** Captioning tasks of models that take a task prompt (Florence-2), short names for its task tokens. */
export const TASKS = ['caption', 'detailed', 'more-detailed'] as const;
export type Task = (typeof TASKS)[number];

const fields = {
  num_beams: z.number().int().min(1).max(32),
  num_return_sequences: z.number().int().min(1).max(32),
  max_length: z.number().int().min(2).max(512),
  min_length: z.number().int().min(0).max(512),
  length_penalty: z.number().min(-10).max(10),
  early_stopping: z.union([z.boolean(), z.literal('never')]),
  no_repeat_ngram_size: z.number().int().min(0).max(16),
  repetition_penalty: z.number().positive().max(10),
};

/** The settings of a decoding run: its identity (with `task` only for models that take one). */
export type Decoding = { [K in keyof typeof fields]: z.output<(typeof fields)[K]> } & { task?: Task };
export type DecodingKey = keyof typeof fields;
export const DECODING_KEYS = Object.keys(fields) as DecodingKey[];

/** Hugging Face `generate` defaults, for what neither the request nor the model sets. */
export const DEFAULT_DECODING: Decoding = {
  num_beams: 1,
  num_return_sequences: 1,
  max_length: 20,
  min_length: 0,
  length_penalty: 1.0,
  early_stopping: false,
  no_repeat_ngram_size: 0,
  repetition_penalty: 1.0,
};

/** The rules that tie fields together; each problem names the field it is about. */
export function decodingProblems(d: Partial<Decoding>): { field: keyof Decoding; message: string }[] {
  const out: { field: keyof Decoding; message: string }[] = [];
  if (d.num_return_sequences !== undefined && d.num_beams !== undefined) {
    if (d.num_return_sequences > d.num_beams) {
      out.push({
        field: 'num_return_sequences',
        message: `must not exceed num_beams (${d.num_return_sequences} > ${d.num_beams})`,
      });
    }
  }
  if (d.min_length !== undefined && d.max_length !== undefined && d.min_length >= d.max_length) {
    out.push({
      field: 'min_length',
      message: `must be below max_length (${d.min_length} >= ${d.max_length})`,
    });
  }
  return out;
}

/** Explicit settings of a request: any subset, the fields that are given must agree. */
export const DecodingOptions = z
  .object({ ...fields, task: z.enum(TASKS, { error: () => `expected one of ${TASKS.join(', ')}` }) })
  .partial()
  .strict()
  .superRefine((d, ctx) => {
    for (const p of decodingProblems(d))
      ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
  });
export type DecodingOptions = z.input<typeof DecodingOptions>;

/** "greedy" or "beam N" (and the task, for models that take one): the short name of a decoding config. */
export function decodingLabel(d: { num_beams?: unknown; task?: unknown }): string {
  const beams = Number(d.num_beams ?? 1);
  return `${d.task ? `${d.task}, ` : ''}${beams === 1 ? 'greedy' : `beam ${beams}`}`;
}

/** The label plus whatever differs from the defaults, for the image view's run headers. */
export function decodingSummary(d: Record<string, unknown>): string {
  const parts = [decodingLabel(d)];
  if (d.length_penalty !== undefined && d.length_penalty !== 1)
    parts.push(`length penalty ${d.length_penalty}`);
  if (d.no_repeat_ngram_size) parts.push(`no-repeat ${d.no_repeat_ngram_size}-gram`);
  if (d.repetition_penalty !== undefined && d.repetition_penalty !== 1)
    parts.push(`repetition ${d.repetition_penalty}`);
  return parts.join(', ');
}
