/**
 * Decoding settings resolved for one model: its generation_config.json fills what the request
 * leaves out, the cross-field rules are checked on the result, and the value carries its canonical
 * JSON and hash: the identity of a decoding configuration in the database. Display choices (which
 * attention layer becomes the heat-map) are not part of it.
 */
import { createHash } from 'node:crypto';
import {
  DECODING_KEYS,
  DEFAULT_DECODING,
  type Decoding,
  DecodingOptions,
  decodingProblems,
  type Task,
} from '../../api/decoding.ts';
import { InferenceError } from '../errors.ts';

export type { Decoding, DecodingOptions };

export interface ResolvedDecoding {
  config: Decoding;
  /** canonical JSON: keys sorted, every setting present */
  json: string;
  /** sha256 of `json` */
  hash: string;
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

/** The settings a model's generation_config.json gives, checked like a request's. */
export function modelDefaults(generation: Record<string, unknown>): Partial<Decoding> {
  const picked: Record<string, unknown> = {};
  for (const key of DECODING_KEYS) {
    if (generation[key] !== undefined && generation[key] !== null) picked[key] = generation[key];
  }
  const parsed = DecodingOptions.safeParse(picked);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`generation_config.json: field '${i.path.join('.')}': ${i.message}`);
  }
  return parsed.data;
}

/**
 * Model defaults < explicit options (already validated by the contract); the rules are checked on
 * the merged settings and reported against the request's `decoding` field at fault.
 */
export function resolveDecoding(
  generation: Record<string, unknown>,
  options: Partial<Decoding> = {},
  tasks: readonly Task[] = [],
): ResolvedDecoding {
  const config: Decoding = { ...DEFAULT_DECODING, ...modelDefaults(generation), ...options };
  // a model that takes a task prompt gets one (its first, when none is asked for); others none
  if (tasks.length) config.task = options.task ?? tasks[0];
  else if (options.task) throw new InferenceError('this model takes no task prompt', 'decoding.task');
  if (config.task && !tasks.includes(config.task))
    throw new InferenceError(`this model's tasks are ${tasks.join(', ')}`, 'decoding.task');
  const problem = decodingProblems(config)[0];
  if (problem) throw new InferenceError(problem.message, `decoding.${problem.field}`);
  const json = canonicalJson(config);
  return { config, json, hash: createHash('sha256').update(json).digest('hex') };
}
