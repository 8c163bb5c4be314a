/**
 * The option lists of the API (and the types named for them): constants only, no imports, so that
 * every module of the API (`contract.ts`, `types.ts`, `catalog.ts`) can depend on them without an
 * import cycle. `contract.ts` re-exports them: callers import them from there.
 */
export const LIBRARY_FILTERS = ['all', 'uncaptioned', 'errors', 'rated', 'unrated'] as const;
export const POLICIES = ['skip-existing', 'overwrite'] as const;
export const JOB_ACTIONS = ['pause', 'cancel'] as const;
export const JOB_STATES = ['running', 'paused', 'done', 'cancelled', 'failed'] as const;
export const EXPORT_FORMATS = [
  'coco',
  'coco-results',
  'imagefolder',
  'csv',
  'sidecars',
  'preferences',
  'preferences-trl',
] as const;
/** Which captions an export takes (one per image for best and latest; see export.ts `select`). */
export const EXPORT_POLICIES = ['best', 'latest', 'human', 'rated', 'all'] as const;
export const SPLITS = ['train', 'val', 'test'] as const;
/**
 * The kinds of human judgment, stored as one model (db/migrations/011_judgments.sql): a score (1–5)
 * of a caption, a best-of-N pick among an image's captions, a preference between two captions.
 * `ratings.set` records the first two.
 */
export const JUDGMENT_KINDS = ['score', 'best', 'pairwise'] as const;
/** A pairwise verdict on captions A and B: A preferred, B preferred, a tie, or both bad. */
export const PAIRWISE_CHOICES = ['a', 'b', 'tie', 'bad'] as const;
export const IMAGE_MODES = ['copy', 'link'] as const;
/** ONNX export variants, as transformers.js names them; each is a file-name suffix (`DTYPE_SUFFIX`). */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type LibraryFilter = (typeof LIBRARY_FILTERS)[number];
export type Policy = (typeof POLICIES)[number];
export type JobState = (typeof JOB_STATES)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type Split = (typeof SPLITS)[number];
/** What a session shows of each run: its top caption, or every caption it returned (its n-best). */
export const SESSION_CANDIDATES = ['top', 'all'] as const;
/** What raters do in a session: score each caption (and pick a best), or prefer one of two. */
export const SESSION_KINDS = ['scores', 'pairwise'] as const;
export type JudgmentKind = (typeof JUDGMENT_KINDS)[number];
export type PairwiseChoice = (typeof PAIRWISE_CHOICES)[number];
export type ExportPolicy = (typeof EXPORT_POLICIES)[number];
export type Dtype = (typeof DTYPES)[number];
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};
