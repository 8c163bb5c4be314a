/**
 * Decoding settings, described once: each one's range, command-line flag, help line and whether
 * the image view offers it (`DECODING_SETTINGS`). The request schema, the CLI's flags and help, the
 * image view's controls and README's table are all made from (or tested against) this list; Python's
 * `GenerationConfig` (models/captioner/model/generation.py) has the same names. The cross-field
 * rules are checked at the boundary too, so every transport reports them as field errors. No Node
 * imports (the renderer uses it). Resolution against a model's generation_config.json, with the
 * same rules, is `inference/decoding.ts`.
 */
import { z } from 'zod';

/** Captioning tasks of models that take a task prompt (Florence-2), short names for its task tokens. */
export const TASKS = ['caption', 'detailed', 'more-detailed'] as const;
export type Task = (typeof TASKS)[number];

/** How a setting is written: a whole number, a number (`above`: strictly greater than `min`), or early stopping's three values. */
export type SettingKind =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'float'; min: number; max: number; above?: boolean }
  | { kind: 'stopping' };

export type Setting = SettingKind & {
  /** the command-line flag, without its dashes */
  flag: string;
  /** what the setting does, as help texts and README say it */
  help: string;
  /** the image view offers it as a control */
  view?: boolean;
};

/** Hugging Face `generate`'s names and meanings; ranges are what the studio accepts. */
export const DECODING_SETTINGS = {
  num_beams: {
    kind: 'int',
    min: 1,
    max: 32,
    flag: 'beams',
    view: true,
    help: 'beam search with N beams (1: greedy)',
  },
  num_return_sequences: {
    kind: 'int',
    min: 1,
    max: 32,
    flag: 'num-return',
    view: true,
    help: 'candidates kept per image (at most the beams)',
  },
  max_length: {
    kind: 'int',
    min: 2,
    max: 512,
    flag: 'max-length',
    help: 'longest caption in tokens, the start token included',
  },
  min_length: {
    kind: 'int',
    min: 0,
    max: 512,
    flag: 'min-length',
    help: 'no end of caption before this many tokens',
  },
  length_penalty: {
    kind: 'float',
    min: -10,
    max: 10,
    flag: 'length-penalty',
    view: true,
    help: 'beam scores are divided by length ** X: above 0 favours longer captions',
  },
  early_stopping: {
    kind: 'stopping',
    flag: 'early-stopping',
    help: 'when beam search stops: at num_beams finished captions (true), when none can improve by a heuristic (false) or exactly (never)',
  },
  no_repeat_ngram_size: {
    kind: 'int',
    min: 0,
    max: 16,
    flag: 'no-repeat-ngram',
    view: true,
    help: 'no n-gram of this size twice in a caption (0: off)',
  },
  repetition_penalty: {
    kind: 'float',
    min: 0,
    max: 10,
    above: true,
    flag: 'repetition-penalty',
    help: 'scores of tokens already in the caption are divided by X (1: off)',
  },
} as const satisfies Record<string, Setting>;

export type DecodingKey = keyof typeof DECODING_SETTINGS;
export const DECODING_KEYS = Object.keys(DECODING_SETTINGS) as DecodingKey[];
/** Each setting as a `Setting` (the literal types of the list above widened). */
export const settingOf = (key: DecodingKey): Setting => DECODING_SETTINGS[key];

type ValueOf<S> = S extends { kind: 'stopping' } ? boolean | 'never' : number;

function schemaOf(s: Setting) {
  if (s.kind === 'stopping') return z.union([z.boolean(), z.literal('never')]);
  const n = s.kind === 'int' ? z.number().int() : z.number();
  return (s.kind === 'float' && s.above ? n.gt(s.min) : n.min(s.min)).max(s.max);
}

/** What a setting's flag takes, as help texts show it. */
export function settingValue(s: Setting): string {
  return s.kind === 'int' ? 'N' : s.kind === 'float' ? 'X' : 'true|false|never';
}

/** The values a setting accepts, as README's table shows them. */
export function settingRange(s: Setting): string {
  if (s.kind === 'stopping') return 'true, false, never';
  return s.kind === 'float' && s.above ? `> ${s.min}, ≤ ${s.max}` : `${s.min} to ${s.max}`;
}

const fields = Object.fromEntries(DECODING_KEYS.map((k) => [k, schemaOf(settingOf(k))])) as unknown as {
  [K in DecodingKey]: z.ZodType<
    ValueOf<(typeof DECODING_SETTINGS)[K]>,
    ValueOf<(typeof DECODING_SETTINGS)[K]>
  >;
};

/** The settings of a decoding run: its identity (with `task` only for models that take one). */
export type Decoding = { [K in DecodingKey]: ValueOf<(typeof DECODING_SETTINGS)[K]> } & { task?: Task };

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
