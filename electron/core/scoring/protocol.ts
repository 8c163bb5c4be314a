/** The messages between the scorer's worker thread (worker.ts) and the thread that asks (remote.ts). */
import type { Dtype } from '../api/contract.ts';
import type { SearchHit } from '../api/types.ts';

export type ScorerRequest =
  | { id: number; kind: 'open'; dir: string; dtype?: Dtype }
  | {
      id: number;
      kind: 'score';
      /** the image file, read in the worker; not read when its embedding is given */
      file: string;
      embedding: Float32Array | null;
      captions: string[];
      references: string[];
    }
  | {
      id: number;
      kind: 'search';
      /** the studio's database file, read on a connection of the worker's own */
      db: string;
      scorerId: number;
      /** the text to rank by, or (more like this) the image whose stored embedding ranks, itself left out */
      query: string | null;
      like: { imageId: number; name: string } | null;
      rootId: number | null;
      offset: number;
      limit: number;
    };

export type ScorerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string; status?: number; field?: string };

/** What opening a scorer tells: its variant and a hash of the files it scores with (its identity). */
export interface ScorerInfo {
  dtype: Dtype;
  dtypes: Dtype[];
  hash: string;
}

export interface ImageScores {
  embedding: Float32Array;
  scores: { clipScore: number; refClipScore: number | null }[];
}

/** A page of search by meaning as the worker ranks it (search/rank.ts); `searched`: embeddings compared. */
export interface SearchResult {
  searched: number;
  hits: SearchHit[];
}
