/**
 * The one API of the core: channel -> request schema and response type, for the desktop app (IPC),
 * the served mode (HTTP) and the CLI alike. Requests are validated once, at the boundary, by
 * `dispatch`; the preload object and the HTTP client are both `makeClient(...)` and checked against
 * `Api`; the core's handlers against `Handlers`. Every option list lives here and nowhere else
 * (the library's filters and bulk edits' schemas: edit-requests.ts, shared fields: fields.ts).
 * No Node imports: the renderer imports this module.
 */
import { z } from 'zod';
import type { CatalogEntry } from './catalog.ts';
import { DecodingOptions } from './decoding.ts';
import type { EditBatchView, EditHistory, EditPreview, EditStep, WordStats } from './edit.ts';
import { EditRequest, LibraryQuery, WordsRequest } from './edit-requests.ts';
import { id, none, oneOf, rater } from './fields.ts';
import {
  DTYPES,
  EXPORT_FORMATS,
  EXPORT_POLICIES,
  IMAGE_MODES,
  JOB_ACTIONS,
  PAIRWISE_CHOICES,
  POLICIES,
  SESSION_CANDIDATES,
  SESSION_KINDS,
  SPLITS,
} from './options.ts';
import { libraryOrder, needsScorer, oneSearch, searchBy } from './search-requests.ts';
import { type ReviewItem, SESSION_CHANNELS, type SessionDeletion } from './sessions.ts';
import type {
  CandidateView,
  EngineInfoView,
  EvalSummary,
  ExportPreview,
  ExportResult,
  ExportView,
  ImageDetail,
  ImageRow,
  ImportSummary,
  JobView,
  ModelEntry,
  PullView,
  RaterLinkView,
  RootInfo,
  RunSummary,
  RunView,
  ScanCounts,
  ScorerColumn,
  ScoreSummary,
  SearchPage,
  SessionItem,
  SessionView,
} from './types.ts';

export * from './options.ts';
export { LIBRARY_ORDERS, type LibraryOrder } from './search-requests.ts';

/** NUL and the other C0/C1 control characters: no file name needs them, and NUL ends a path in the OS */
export const CONTROL_CHARS = /\p{Cc}/u; // U+0000-001F, U+007F-009F
const noControl = (s: z.ZodString) =>
  s.refine((v) => !CONTROL_CHARS.test(v), { error: 'contains a NUL or control character' });
/** Every path a request names, validated the same way (dispatch names the field). */
const path = noControl(z.string().min(1).max(4096));
/** a model as requests name it: 'default', ORG/NAME[@REVISION], or an added folder's path */
const model = noControl(z.string().trim().min(1).max(500));
const dtype = oneOf(DTYPES);
/** a CLIP scorer as requests name it (like a model), its variant, and one library folder (default: all) */
const scoring = { scorer: model, dtype: dtype.optional(), rootId: id.optional() };
/** a page of a long list: where it starts (at most `last`) and how many it holds */
const page = (last: number, max: number, limit: number) => ({
  offset: z.number().int().min(0).max(last).default(0),
  limit: z.number().int().min(1).max(max).default(limit),
});

const ExportRequest = z
  .object({
    format: oneOf(EXPORT_FORMATS),
    /** best: each image's highest-rated caption, else its human edit, else the top beam of its latest run */
    policy: oneOf(EXPORT_POLICIES).default('best'),
    /** a file (coco, coco-results, csv) or a folder (imagefolder, sidecars, preferences*) */
    out: path.optional(),
    /** sidecars only: write each .txt next to its photo instead of into `out` */
    beside: z.boolean().default(false),
    minRating: z.number().min(1).max(5).optional(),
    raters: z.array(rater).max(1000).optional(),
    sessions: z.array(id).max(1000).optional(),
    split: oneOf(SPLITS).optional(),
    /** one library folder's captions only (default: every folder's) */
    rootId: id.optional(),
    images: oneOf(IMAGE_MODES).default('copy'),
    overwrite: z.boolean().default(false),
  })
  .strict();

/**
 * Images per inference batch when a job is started without one (the CLI's `--batch-size`, the
 * studio's Jobs view): the size the pipeline and memory benches measure. A job keeps its batch size
 * when resumed, from any process.
 */
export const DEFAULT_BATCH_SIZE = 16;

export const contract = {
  'auth.me': none,
  'raters.invite': z
    .object({ rater, sessions: z.array(id).min(1, 'name at least one rating session').max(1000) })
    .strict(),
  'raters.list': none,
  'raters.revoke': z.object({ id }).strict(),
  'engine.info': z.object({ model: model.optional(), dtype: dtype.optional() }).strict(),
  'models.list': none,
  'models.pull': z.object({ repo: model, dtype: dtype.optional() }).strict(),
  'models.pulls': none,
  'models.cancelPull': z.object({ id }).strict(),
  'models.add': z.object({ path }).strict(),
  'models.remove': z.object({ ref: model }).strict(),
  'library.roots': none,
  'library.addRoot': z.object({ path }).strict(),
  'library.removeRoot': z.object({ rootId: id }).strict(),
  'library.runs': none,
  'library.images': LibraryQuery.extend({
    /** by path, Z to A (order 'path') */
    desc: z.boolean().default(false),
    ...libraryOrder,
    ...page(Number.MAX_SAFE_INTEGER, 1000, 200),
  })
    .strict()
    .refine(...needsScorer),
  /** the CLIP scorers with stored scores: the review queue's choices (order 'clip') */
  'library.scorers': none,
  'image.get': z.object({ fileId: id }).strict(),
  'image.recaption': z
    .object({ fileId: id, decoding: DecodingOptions, model: model.optional(), dtype: dtype.optional() })
    .strict(),
  'candidate.attention': z.object({ candidateId: id }).strict(),
  /** a candidate's maps for a chosen decoder layer and head (the model runs its tokens again) */
  'candidate.layers': z
    .object({
      fileId: id,
      candidateId: id,
      layer: z.union([z.number().int().min(0).max(255), z.enum(['mean', 'last'])]).default('last'),
      head: z.union([z.number().int().min(0).max(255), z.literal('mean')]).default('mean'),
    })
    .strict(),
  'candidate.edit': z
    .object({
      candidateId: id,
      text: z.string().trim().min(1).max(500),
      /** edited while rating this session: the edit joins the image's item there at once */
      sessionId: id.optional(),
    })
    .strict(),
  'jobs.start': z
    .object({
      rootId: id,
      decoding: DecodingOptions.default({}),
      policy: oneOf(POLICIES).default('skip-existing'),
      /** absent: a resumed job's own, else DEFAULT_BATCH_SIZE */
      batchSize: z.number().int().min(1).max(256).optional(),
      model: model.optional(),
      dtype: dtype.optional(),
    })
    .strict(),
  'jobs.list': none,
  'jobs.stop': z.object({ jobId: id, action: oneOf(JOB_ACTIONS) }).strict(),
  /** a paused job (of this or an earlier process) again, with its model, variant and decoding */
  'jobs.resume': z.object({ jobId: id }).strict(),
  'sessions.create': z
    .object({
      name: z.string().trim().min(1).max(200),
      rootId: id,
      blind: z.boolean().default(true),
      limit: z.number().int().min(1).max(10_000).default(100),
      /** shown to raters with `?`, markdown */
      guidelines: z.string().max(20_000).default(''),
      /** top: each current run's best caption (and human edits); all: every caption each run returned */
      candidates: oneOf(SESSION_CANDIDATES).default('top'),
      kind: oneOf(SESSION_KINDS).default('scores'),
      /** the images in the review queue's order: lowest CLIPScore under this scorer (its id) first */
      review: id.optional(),
      /** absent: everyone rates everything; else each rater gets a share, and `overlap` percent of
       * the images go to every one of them (for agreement) */
      assign: z
        .object({
          raters: z.array(rater).min(1).max(100),
          overlap: z.number().int().min(0).max(100).default(0),
        })
        .strict()
        .optional(),
    })
    .strict(),
  'sessions.list': none,
  ...SESSION_CHANNELS,
  'sessions.item': z.object({ sessionId: id, rater, position: z.number().int().min(0).optional() }).strict(),
  /** one action of judgments of a caption: a 'score' (value; null clears it) and/or a 'best' pick
   * (true picks it and takes the pick back from the item's other captions, false takes it back) */
  'ratings.set': z
    .object({
      sessionId: id,
      rater,
      candidateId: id,
      value: z.number().int().min(1).max(5).nullable().optional(),
      best: z.boolean().optional(),
      /** the client's number for this action, above every one the rater used in the session
       * (SessionItem.seq): a retry of one already applied changes nothing */
      seq: z.number().int().min(1).optional(),
    })
    .strict(),
  /** a pairwise verdict on the item showing `left` and `right` (as shown): 'a' left preferred, 'b'
   * right, 'tie', 'bad' both bad; null withdraws it. Numbered like 'ratings.set'. */
  'ratings.prefer': z
    .object({
      sessionId: id,
      rater,
      left: id,
      right: id,
      choice: oneOf(PAIRWISE_CHOICES).nullable(),
      seq: z.number().int().min(1).optional(),
    })
    .strict(),
  /** reverts the rater's last 'ratings.set' in the session (judgments made before version 11 stay);
   * with `seq`, that action, which must be the last one in force (undone already: a retry, nothing changes) */
  'ratings.undo': z.object({ sessionId: id, rater, seq: z.number().int().min(1).optional() }).strict(),
  'eval.summary': z.object({ rootId: id.optional() }).strict(),
  'eval.importReferences': z.object({ path }).strict(),
  /** what a bulk edit would change: counts and the first changes, computed as apply computes them */
  'edit.preview': EditRequest,
  /** one undoable step: a human edit of every caption the operation changes. `expect`: the preview's
   * count; when the captions have changed since and the count differs, nothing is applied (409) */
  'edit.apply': EditRequest.safeExtend({ expect: z.number().int().min(0).optional() }),
  /** the most frequent words and two-word phrases of the target's captions (the word statistics) */
  'edit.words': WordsRequest,
  'edit.undo': none,
  'edit.redo': none,
  'edit.history': none,
  'export.run': ExportRequest,
  'export.preview': ExportRequest,
  /** stops a running export (its id comes with its `export.progress` events): nothing half-written stays */
  'export.cancel': z.object({ id }).strict(),
  /** CLIPScore (and RefCLIPScore with `refs`, where references exist) of every current candidate not yet scored */
  'scores.run': z.object({ ...scoring, refs: z.boolean().optional() }).strict(),
  /** search by meaning: images ranked by the cosine of their stored CLIP embedding with the query's (text, or an image's: search-requests.ts), best first */
  'search.images': z
    .object({ ...scoring, ...searchBy, ...page(10_000, 200, 50) })
    .strict()
    .refine(...oneSearch),
} as const;

export type Channel = keyof typeof contract;
export const CHANNELS = Object.keys(contract) as Channel[];

/**
 * Who is calling. The owner (the desktop app, the CLI, the token `serve` printed) calls everything;
 * a rater's link calls RATER_CHANNELS only, within its own sessions, under its own name.
 */
export type Caller = { role: 'owner' } | { role: 'rater'; linkId: number; rater: string; sessions: number[] };
export const OWNER: Caller = { role: 'owner' };
export const RATER_CHANNELS: ReadonlySet<Channel> = new Set<Channel>([
  'auth.me',
  'sessions.list',
  'sessions.item',
  'ratings.set',
  'ratings.prefer',
  'ratings.undo',
  'candidate.edit',
]);
export type Request<C extends Channel> = z.input<(typeof contract)[C]>;
export type ParsedRequest<C extends Channel> = z.output<(typeof contract)[C]>;

export interface Responses {
  'auth.me': Caller;
  'raters.invite': RaterLinkView & { token: string };
  'raters.list': RaterLinkView[];
  'raters.revoke': RaterLinkView;
  'engine.info': EngineInfoView;
  'models.list': { installed: ModelEntry[]; catalog: CatalogEntry[]; default: string };
  'models.pull': PullView;
  'models.pulls': PullView[];
  'models.cancelPull': PullView;
  'models.add': ModelEntry;
  'models.remove': null;
  'library.roots': RootInfo[];
  'library.addRoot': RootInfo & { scan: ScanCounts };
  'library.removeRoot': null;
  'library.runs': RunSummary[];
  'library.images': { total: number; items: ImageRow[] };
  'library.scorers': ScorerColumn[];
  'image.get': ImageDetail;
  'image.recaption': RunView;
  'candidate.attention': { shape: [number, number, number]; data: number[] };
  /** per step over the image cells (each summing to 1); the shares of positions that are not cells */
  'candidate.layers': {
    shape: [number, number, number];
    data: number[];
    layers: number;
    heads: number;
    share: { lead: number; prompt: number }[];
  };
  'candidate.edit': CandidateView;
  'jobs.start': JobView;
  'jobs.list': JobView[];
  'jobs.stop': JobView;
  'jobs.resume': JobView;
  'sessions.create': SessionView;
  'sessions.list': SessionView[];
  'sessions.rename': SessionView;
  'sessions.delete': SessionDeletion;
  'sessions.review': ReviewItem;
  'sessions.adjudicate': ReviewItem;
  'sessions.item': SessionItem;
  'ratings.set': SessionItem;
  'ratings.prefer': SessionItem;
  'ratings.undo': SessionItem;
  'eval.summary': EvalSummary;
  'eval.importReferences': ImportSummary;
  'edit.preview': EditPreview;
  'edit.apply': EditBatchView;
  'edit.words': WordStats;
  'edit.undo': EditStep;
  'edit.redo': EditStep;
  'edit.history': EditHistory;
  'export.run': ExportResult;
  'export.preview': ExportPreview;
  'export.cancel': ExportView;
  'scores.run': ScoreSummary;
  'search.images': SearchPage;
}

/** What the core pushes: job, download and export progress (IPC events in the desktop app, server-sent events over HTTP). */
export interface Events {
  'jobs.progress': JobView;
  'models.pull': PullView;
  'export.progress': ExportView;
}
export type EventName = keyof Events;
export const EVENT_NAMES: EventName[] = ['jobs.progress', 'models.pull', 'export.progress'];
export type EventMessage = { [E in EventName]: { event: E; data: Events[E] } }[EventName];

/** An error as a value: what went wrong, the HTTP status it maps to, and the field when one is at fault. */
export interface ApiFailure {
  ok: false;
  error: string;
  status: number;
  field?: string;
}
export type Result<T> = { ok: true; value: T } | ApiFailure;

/** What the renderer calls: one method per channel. */
export type Api = { [C in Channel]: (req: Request<C>) => Promise<Result<Responses[C]>> };

/** What the core implements: validated requests in, values out (throw to report an error). */
export type Handlers = { [C in Channel]: (req: ParsedRequest<C>) => Promise<Responses[C]> };

export function makeClient(invoke: (channel: Channel, req: unknown) => Promise<unknown>): Api {
  const api = {} as Record<Channel, (req: unknown) => Promise<unknown>>;
  for (const c of CHANNELS) api[c] = (req) => invoke(c, req);
  return api as Api;
}
