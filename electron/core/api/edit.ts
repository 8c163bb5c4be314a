/**
 * What bulk caption edits answer (requests: `contract.ts`, channels `edit.*`). Node-free: the
 * renderer imports it.
 */

/** Letter cases a 'case' edit can set. */
export const EDIT_CASES = ['lower', 'upper', 'sentence', 'title'] as const;
export type EditCase = (typeof EDIT_CASES)[number];

/** One caption a bulk edit changes (or would): the image, a file showing it, the texts. */
export interface EditChange {
  imageId: number;
  fileId: number;
  before: string;
  after: string;
}

/**
 * What an operation would do over its target, computed exactly as `edit.apply` computes it:
 * `images` with a caption targeted, `changed` captions (what apply writes), `emptied` the ones it
 * would leave empty (left as they are), and the first changes in the library's order.
 */
export interface EditPreview {
  images: number;
  changed: number;
  emptied: number;
  samples: EditChange[];
}

/** One step of the edit history. */
export interface EditBatchView {
  id: number;
  /** the operation in words, e.g. `replace /cats?/ with "dog"` */
  label: string;
  state: 'applied' | 'undone';
  /** captions it changed */
  changed: number;
  createdAt: string;
}

/** The history, newest first, and whether undo and redo have a step to take. */
export interface EditHistory {
  batches: EditBatchView[];
  canUndo: boolean;
  canRedo: boolean;
}

/** What undo and redo did: the step they took (null: there was none), and the history after. */
export interface EditStep {
  batch: EditBatchView | null;
  history: EditHistory;
}

/** A word or two-word phrase of the captions: how often it occurs, and in how many images' captions. */
export interface WordCount {
  text: string;
  count: number;
  images: number;
}

/** The most frequent words and phrases of a target's captions, most frequent first, over `images` captions. */
export interface WordStats {
  images: number;
  words: WordCount[];
}
