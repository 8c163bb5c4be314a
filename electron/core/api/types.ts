/**
 * What the API answers with: one type per view, shared by the core (which builds them), the
 * renderer and the CLI (which show them). No Node imports: the renderer's type check includes it.
 */
import type { FamilyFacts } from './catalog.ts';
import type { Decoding, Task } from './decoding.ts';
import type { Dtype, ExportFormat, JobState, PairwiseChoice, Split } from './options.ts';

export type {
  ClipSourceRow,
  ClipStats,
  EvalSummary,
  PairwiseStats,
  RankedSource,
  ScorerColumn,
  ScoreSummary,
  SourceRow,
} from './evaluation.ts';

export interface RootInfo {
  id: number;
  path: string;
  /** files that are there (not missing), readable or not */
  images: number;
  captioned: number;
  errors: number;
  /** found but not yet read (no caption job has opened them) */
  unread: number;
  missing: number;
}

export interface ScanCounts {
  found: number;
  added: number;
  changed: number;
  missing: number;
  /** entries the scan could not take (unreadable folder, link loop, undecodable name), and why */
  skipped: { path: string; reason: string }[];
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
  /** the model whose run holds the caption (a person's edit of it too), and the caption's score */
  model: string | null;
  score: number | null;
  /** the caption is a person's edit */
  edited: boolean;
  /** the content hash of the image as last read (null before): names its thumbnails' versions */
  hash: string | null;
  /** in the review queue (library.images, order 'clip'): the caption's CLIPScore under its scorer */
  clipScore?: number;
}

/** Who wrote a caption: the model (one of its beams) or a person (an edit). */
export type CandidateSource = 'model' | 'human';

/** A caption candidate as the API shows it (the image view); a rater's view picks from it. */
export interface CandidateView {
  id: number;
  rank: number;
  source: CandidateSource;
  text: string;
  /** the text of each generated token ('' for special tokens), for per-word heat-maps */
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
  /** the export variant that ran; null for runs from before it was recorded */
  dtype: Dtype | null;
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
  /** the files before and after this one in its folder's grid order */
  prev: number | null;
  next: number | null;
}

export interface RunSummary {
  modelId: number;
  configId: number;
  model: string;
  decoding: Record<string, unknown>;
  images: number;
}

/** How far a caption job has got. */
export interface JobCounts {
  total: number;
  done: number;
  captioned: number;
  skipped: number;
  errors: number;
  /** images per second over this process's captioned images */
  rate: number;
  etaSeconds: number | null;
}

export interface JobView extends JobCounts {
  id: number;
  rootId: number;
  state: JobState;
  /** the folder, model (and its export variant) and decoding settings the job captions with */
  folder: string;
  model: string;
  dtype: string | null;
  decoding: Record<string, unknown>;
  /** images per inference batch: as the job was started, kept when it is resumed */
  batchSize: number;
  /** why the job failed, when it did */
  failure: string | null;
  resumed: boolean;
  errorList: { path: string; error: string }[];
}

export interface SessionView {
  id: number;
  name: string;
  blind: boolean;
  items: number;
  /** markdown, shown to raters with `?` */
  guidelines: string;
  /** raters the images are assigned to; empty: everyone rates everything */
  raters: string[];
  /** percent of images every assigned rater rates; null without assignment */
  overlap: number | null;
  /** which captions of each run it shows */
  candidates: 'top' | 'all';
  kind: 'scores' | 'pairwise';
  /** the owner's list only: per rater who has opened the session, their items and how many are finished */
  progress?: { rater: string; items: number; done: number }[];
}

/** A caption as a rater sees it: blind sessions label it by letter only. */
export type RatingCandidate = Pick<CandidateView, 'id' | 'text'> & {
  label: string;
  /** the rater's current judgment of kind 'score', null without one */
  value: number | null;
  /** whether the rater's current judgment of kind 'best' picks it */
  best: boolean;
};

/** What a blind session tells a rater of an image: an id to fetch it by, nothing else. */
export interface BlindFile {
  fileId: number;
}

export interface SessionItem {
  sessionId: number;
  name: string;
  guidelines: string;
  /** index in this rater's images (all of the session's, or the rater's share) */
  position: number;
  total: number;
  /** first position this rater has not finished; where a returning rater resumes */
  resumeAt: number;
  /** the image: in a blind session by its id alone (served at media/ID), no path, folder or caption */
  file: ImageRow | BlindFile;
  /** scores: rate each caption; pairwise: the two captions of a pair, left first */
  candidates: RatingCandidate[];
  kind: 'scores' | 'pairwise';
  /** pairwise: the rater's verdict on (left, right) as shown, null without one */
  choice: PairwiseChoice | null;
  /** images this rater has finished */
  rated: number;
  /** the highest action number (seq) this rater has used in the session: a client numbers its next from here */
  seq: number;
  /** the rater's last action still in force (what 'ratings.undo' reverts), null without one */
  lastAction: number | null;
}

export interface EngineInfoView {
  /** the model's name: 'default', a repository id, or a folder's name */
  model: string;
  dtype: Dtype;
  /** what it was trained to describe ('synthetic-scenes' for the shipped model), null when unknown */
  domain: string | null;
  provider: string;
  notes: string[];
  grid: { rows: number; cols: number } | null;
}

/** A model the studio can caption with. */
export interface ModelEntry {
  /** how requests name it: 'default', ORG/NAME, or the folder's path */
  ref: string;
  name: string;
  kind: 'default' | 'hub' | 'folder';
  /** what it is for: writing captions, or scoring them (a CLIP image-text model) */
  role: 'captioner' | 'scorer';
  architecture: string | null;
  /** the export variants present */
  dtypes: Dtype[];
  /** the decoder files the engine loads: 'merged' (one copy of the weights), 'split', 'uncached' */
  decoder: 'merged' | 'split' | 'uncached' | null;
  bytes: number;
  path: string;
  domain: string | null;
  /** the caption tasks it takes (a task prompt each); empty for models without task prompts */
  tasks: Task[];
  /** what its model family can do; null when the studio runs no family for it */
  can: FamilyFacts | null;
  /** its decoding defaults (generation_config.json): what the studio's forms start from */
  defaults: Partial<Decoding>;
}

/** A download from the Hub, as it goes. */
export interface PullView {
  id: number;
  repo: string;
  revision: string;
  dtype: Dtype;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  files: number;
  totalBytes: number;
  doneBytes: number;
  /** bytes per second */
  rate: number;
  etaSeconds: number | null;
  file: string | null;
  error: string | null;
}

export interface ImportSummary {
  file: string;
  captions: number;
  added: number;
  matchedImages: number;
  unmatched: string[];
}

export interface ExportResult {
  format: ExportFormat;
  rows: number;
  written: string[];
  /** why nothing was exported, when nothing was; else what was left out (ties of pairwise verdicts), if anything */
  note?: string;
}

/** An export as it runs, pushed as `export.progress` events (and what `export.cancel` answers). */
export interface ExportView {
  id: number;
  format: ExportFormat;
  /** the file or folder it writes ('' for sidecars next to the photos) */
  target: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** files written (photos and text files) of `total` */
  done: number;
  total: number;
  bytes: number;
  /** files per second */
  rate: number;
  etaSeconds: number | null;
  error: string | null;
}

/** What an export would write, before it writes: the row count and its first records as written. */
export interface ExportPreview {
  format: ExportFormat;
  rows: number;
  /** the file or folder it would write ('' for sidecars next to the photos) */
  target: string;
  records: string[];
  note?: string;
}

export type { Split };

/** A rater's link as the owner sees it (the token itself is shown once, when it is made). */
export interface RaterLinkView {
  id: number;
  rater: string;
  sessions: number[];
  createdAt: string;
  revoked: boolean;
}

/** An image ranked by search by meaning: its library row and the cosine of its embedding with the query's. */
export interface SearchHit extends ImageRow {
  score: number;
}

/** A page of search by meaning: best first, from `offset`; `searched`: the embeddings compared. */
export interface SearchPage {
  scorer: string;
  dtype: Dtype;
  searched: number;
  items: SearchHit[];
}
