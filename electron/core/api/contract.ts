/**
 * The one API between the renderer and the core: channel -> request schema (validated at the
 * boundary, in the Electron main process and in the HTTP server alike) and response type.
 * The preload object and the HTTP client are both built by `makeClient` and checked against `Api`;
 * the core's handlers are checked against `Handlers`. Errors cross as values.
 */
import { z } from 'zod';
import type { ImportSummary } from '../eval/references.ts';
import type { EvalSummary } from '../eval/summary.ts';
import type { ExportResult } from '../export/export.ts';
import { DecodingOptions } from '../inference/decoding.ts';

const id = z.number().int().positive();

export const contract = {
  'engine.info': z.object({}).strict(),
  'library.roots': z.object({}).strict(),
  'library.addRoot': z.object({ path: z.string().min(1).max(4096) }).strict(),
  'library.removeRoot': z.object({ rootId: id }).strict(),
  'library.runs': z.object({}).strict(),
  'library.images': z
    .object({
      rootId: id.optional(),
      filter: z.enum(['all', 'uncaptioned', 'errors', 'rated', 'unrated']).default('all'),
      /** only images with a current caption run of this model and decoding config */
      run: z.object({ modelId: id, configId: id }).strict().optional(),
      search: z.string().max(200).default(''),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(200),
    })
    .strict(),
  'image.get': z.object({ fileId: id }).strict(),
  'image.recaption': z.object({ fileId: id, decoding: DecodingOptions }).strict(),
  'candidate.attention': z.object({ candidateId: id }).strict(),
  'candidate.edit': z.object({ candidateId: id, text: z.string().trim().min(1).max(500) }).strict(),
  'jobs.start': z
    .object({
      rootId: id,
      decoding: DecodingOptions.default({}),
      policy: z.enum(['skip-existing', 'overwrite']).default('skip-existing'),
    })
    .strict(),
  'jobs.list': z.object({}).strict(),
  'jobs.stop': z.object({ jobId: id, action: z.enum(['pause', 'cancel']) }).strict(),
  'sessions.create': z
    .object({
      name: z.string().trim().min(1).max(200),
      rootId: id,
      blind: z.boolean().default(true),
      limit: z.number().int().min(1).max(10_000).default(100),
    })
    .strict(),
  'sessions.list': z.object({}).strict(),
  'sessions.item': z
    .object({
      sessionId: id,
      rater: z.string().trim().min(1).max(100),
      position: z.number().int().min(0).optional(),
    })
    .strict(),
  'ratings.set': z
    .object({
      sessionId: id,
      rater: z.string().trim().min(1).max(100),
      candidateId: id,
      value: z.number().int().min(1).max(5).nullable().optional(),
      best: z.boolean().optional(),
    })
    .strict(),
  'ratings.undo': z.object({ sessionId: id, rater: z.string().trim().min(1).max(100) }).strict(),
  'eval.summary': z.object({ rootId: id.optional() }).strict(),
  'eval.importReferences': z.object({ path: z.string().min(1).max(4096) }).strict(),
  'export.run': z
    .object({
      format: z.enum(['coco', 'coco-results', 'imagefolder', 'csv', 'sidecars', 'preferences']),
      out: z.string().min(1).max(4096).optional(),
      minRating: z.number().min(1).max(5).optional(),
      split: z.enum(['train', 'val', 'test']).optional(),
      overwrite: z.boolean().default(false),
    })
    .strict(),
} as const;

export type Channel = keyof typeof contract;
export const CHANNELS = Object.keys(contract) as Channel[];
export type Request<C extends Channel> = z.input<(typeof contract)[C]>;
export type ParsedRequest<C extends Channel> = z.output<(typeof contract)[C]>;

export interface RootInfo {
  id: number;
  path: string;
  images: number;
  captioned: number;
  errors: number;
}
export interface ImageRow {
  fileId: number;
  rootId: number;
  imageId: number | null;
  /** path relative to the root, '/'-separated */
  rel: string;
  status: 'new' | 'ok' | 'error' | 'missing';
  error: string | null;
  caption: string | null;
}
export interface CandidateView {
  id: number;
  rank: number;
  source: 'model' | 'human';
  text: string;
  tokens: string[];
  tokenLogprobs: number[];
  sum: number | null;
  score: number | null;
  hasAttention: boolean;
  editedFrom: number | null;
}
export interface RunView {
  id: number;
  model: string;
  decoding: Record<string, unknown>;
  provider: string;
  createdAt: string;
  candidates: CandidateView[];
}
export interface ImageDetail {
  file: ImageRow;
  width: number | null;
  height: number | null;
  runs: RunView[];
}
export interface JobView {
  id: number;
  rootId: number;
  state: string;
  total: number;
  done: number;
  captioned: number;
  errors: number;
  rate: number;
  etaSeconds: number | null;
  errorList: { path: string; error: string }[];
}
export interface SessionView {
  id: number;
  name: string;
  blind: boolean;
  items: number;
}
export interface SessionItem {
  sessionId: number;
  position: number;
  total: number;
  /** first position this rater has not finished; where a returning rater resumes */
  resumeAt: number;
  file: ImageRow;
  candidates: { id: number; label: string; text: string; value: number | null; best: boolean }[];
  rated: number;
}

export interface Responses {
  'engine.info': {
    model: string;
    provider: string;
    notes: string[];
    grid: { rows: number; cols: number } | null;
  };
  'library.roots': RootInfo[];
  'library.addRoot': RootInfo;
  'library.removeRoot': null;
  'library.runs': {
    modelId: number;
    configId: number;
    model: string;
    decoding: Record<string, unknown>;
    images: number;
  }[];
  'library.images': { total: number; items: ImageRow[] };
  'image.get': ImageDetail;
  'image.recaption': RunView;
  'candidate.attention': { shape: [number, number, number]; data: number[] };
  'candidate.edit': CandidateView;
  'jobs.start': JobView;
  'jobs.list': JobView[];
  'jobs.stop': JobView;
  'sessions.create': SessionView;
  'sessions.list': SessionView[];
  'sessions.item': SessionItem;
  'ratings.set': SessionItem;
  'ratings.undo': SessionItem;
  'eval.summary': EvalSummary;
  'eval.importReferences': ImportSummary;
  'export.run': ExportResult;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the renderer calls: one method per channel. */
export type Api = { [C in Channel]: (req: Request<C>) => Promise<Result<Responses[C]>> };

/** What the core implements: validated requests in, values out (throw to report an error). */
export type Handlers = { [C in Channel]: (req: ParsedRequest<C>) => Promise<Responses[C]> };

export function makeClient(invoke: (channel: Channel, req: unknown) => Promise<unknown>): Api {
  const api = {} as Record<Channel, (req: unknown) => Promise<unknown>>;
  for (const c of CHANNELS) api[c] = (req) => invoke(c, req);
  return api as Api;
}

/** Validate and run one call; errors (bad input included) come back as values naming the field. */
export async function dispatch(handlers: Handlers, channel: string, req: unknown): Promise<Result<unknown>> {
  if (!Object.hasOwn(contract, channel)) return { ok: false, error: `unknown channel '${channel}'` };
  const c = channel as Channel;
  const parsed = contract[c].safeParse(req ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return { ok: false, error: `${c}: field '${i.path.join('.') || '(request)'}': ${i.message}` };
  }
  try {
    const value = await (handlers[c] as (r: unknown) => Promise<unknown>)(parsed.data);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
