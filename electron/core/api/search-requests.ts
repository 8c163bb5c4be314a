/**
 * Requests of search by meaning (`search.images`: a text query, or "more like this" from an image)
 * and the library's orders (`library.images`: by path, or the review queue, lowest CLIPScore
 * first). The contract is contract.ts. Node-free: the renderer imports them.
 */
import { z } from 'zod';
import { id, oneOf } from './fields.ts';

/**
 * What search by meaning ranks by: the query's text embedding, or ("more like this") the stored
 * embedding of image file `fileId` (that image left out). One of them (`oneSearch`).
 */
export const searchBy = {
  query: z.string().trim().min(1).max(500).optional(),
  fileId: id.optional(),
};
export const oneSearch: [
  (r: { query?: string; fileId?: number }) => boolean,
  { error: string; path: string[] },
] = [
  (r) => (r.query === undefined) !== (r.fileId === undefined),
  { error: 'search for a text (query) or for images like one (fileId): one of them', path: ['query'] },
];

/** The library's orders: by path (the grid's), or the review queue: lowest CLIPScore first. */
export const LIBRARY_ORDERS = ['path', 'clip'] as const;
export type LibraryOrder = (typeof LIBRARY_ORDERS)[number];

/**
 * How `library.images` orders its page. 'clip': the images whose current caption has a CLIPScore
 * under scorer `scorer` (its models row id, as eval.summary's `scorers` list them), lowest first.
 */
export const libraryOrder = {
  order: oneOf(LIBRARY_ORDERS).default('path'),
  scorer: id.optional(),
};
export const needsScorer: [
  (r: { order: LibraryOrder; scorer?: number }) => boolean,
  { error: string; path: string[] },
] = [
  (r) => r.order !== 'clip' || r.scorer !== undefined,
  {
    error: "the review queue (order 'clip') needs the scorer whose CLIPScores it orders by",
    path: ['scorer'],
  },
];
