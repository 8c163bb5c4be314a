/**
 * The library's filters and the requests of bulk caption edits (channels `library.images`,
 * `edit.*`; the contract is contract.ts). Node-free: the renderer imports them.
 */
import { z } from 'zod';
import { EDIT_CASES } from './edit.ts';
import { id, oneOf } from './fields.ts';
import { LIBRARY_FILTERS } from './options.ts';

/** The library's filters: the grid shows a page of what they select, bulk edits can take all of it. */
export const LibraryQuery = z
  .object({
    rootId: id.optional(),
    filter: oneOf(LIBRARY_FILTERS).default('all'),
    /** only images with a current caption run of this model and decoding config */
    run: z.object({ modelId: id, configId: id }).strict().optional(),
    /** part of a caption */
    search: z.string().max(200).default(''),
    /** part of a file's path inside its library folder */
    name: z.string().max(200).default(''),
  })
  .strict();

const editText = z.string().min(1).max(500);
const validRegex = (v: { find: string; regex: boolean }) => {
  if (!v.regex) return true;
  try {
    new RegExp(v.find, 'u');
    return true;
  } catch {
    return false;
  }
};
/** A bulk edit's operation: what it does to each caption (electron/core/edit/ops.ts). */
const EditOperation = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('replace'),
      find: editText,
      replace: z.string().max(500).default(''),
      /** `find` is a regular expression (JavaScript's, Unicode); `replace` may name groups ($1) */
      regex: z.boolean().default(false),
      ignoreCase: z.boolean().default(false),
    })
    .strict()
    .refine(validRegex, { error: 'not a valid regular expression', path: ['find'] }),
  /** a trigger word first or last (a caption that already starts or ends with it is left alone) */
  z
    .object({ kind: z.literal('prepend'), text: editText, separator: z.string().max(10).default(', ') })
    .strict(),
  z
    .object({ kind: z.literal('append'), text: editText, separator: z.string().max(10).default(', ') })
    .strict(),
  /** a word, phrase or tag removed wherever it stands whole (any case), and the separators tidied */
  z.object({ kind: z.literal('strip'), text: z.string().trim().min(1).max(500) }).strict(),
  z.object({ kind: z.literal('case'), to: oneOf(EDIT_CASES) }).strict(),
  /** the caption becomes this text (the list view's caption cell: an edit in place, undoable) */
  z.object({ kind: z.literal('set'), text: z.string().trim().min(1).max(500) }).strict(),
  /** trims each caption and collapses runs of white space to one space */
  z.object({ kind: z.literal('whitespace') }).strict(),
]);
/** What a bulk edit changes: the captions of these files' images, or of everything the filters select. */
const editTarget = {
  fileIds: z.array(id).min(1).max(200_000).optional(),
  library: LibraryQuery.optional(),
};
const oneTarget: [
  (r: { fileIds?: unknown; library?: unknown }) => boolean,
  { error: string; path: string[] },
] = [
  (r) => (r.fileIds === undefined) !== (r.library === undefined),
  { error: 'name the images: fileIds or library (one of them)', path: ['fileIds'] },
];
export const EditRequest = z
  .object({ op: EditOperation, ...editTarget })
  .strict()
  .refine(...oneTarget);
/** The most frequent words and two-word phrases of the target's captions (the word statistics). */
export const WordsRequest = z
  .object({ ...editTarget, top: z.number().int().min(1).max(500).default(50) })
  .strict()
  .refine(...oneTarget);
