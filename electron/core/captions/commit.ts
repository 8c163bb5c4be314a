/**
 * Storing what a model generated for an image: the file is linked to its content (by hash), the
 * model and decoding config are recorded once, and the run with its candidates is written in one
 * transaction. Used by batch jobs and by re-captioning from the image view alike.
 */
import type { DB } from '../../../db/open.ts';
import {
  currentRun,
  insertRun,
  type NewCandidate,
  upsertDecodingConfig,
  upsertModel,
} from '../../../db/queries/captions.ts';
import { type ImageInfo, setFileImage } from '../../../db/queries/library.ts';
import { writeTx } from '../../../db/queries/statements.ts';
import type { ResolvedDecoding } from '../inference/decoding/settings.ts';
import type { EngineInfo, GeneratedCaption } from '../inference/engine.ts';

/** Heat-maps stored as uint8 per token, each token's map scaled to its own maximum. */
export function quantiseAttention(
  maps: Float32Array[] | null,
  grid: { rows: number; cols: number } | null,
): NewCandidate['attention'] {
  if (!maps?.length || !grid) return null;
  const cells = grid.rows * grid.cols;
  const data = new Uint8Array(maps.length * cells);
  maps.forEach((m, t) => {
    let max = 0;
    for (let i = 0; i < cells; i++) max = Math.max(max, m[i]);
    for (let i = 0; i < cells; i++) data[t * cells + i] = max > 0 ? Math.round((m[i] / max) * 255) : 0;
  });
  return { data, shape: [maps.length, grid.rows, grid.cols] };
}

export function toNewCandidates(
  cands: GeneratedCaption[],
  grid: { rows: number; cols: number } | null,
): NewCandidate[] {
  return cands.map((c) => ({
    rank: c.rank,
    source: 'model',
    text: c.text,
    tokenIds: c.tokens,
    tokenTexts: c.tokenTexts,
    tokenLogprobs: c.tokenLogprobs.map((x) => Math.round(x * 1e6) / 1e6),
    logprobSum: c.sum,
    score: c.score,
    attention: quantiseAttention(c.attention, grid),
  }));
}

/** The database ids of a model and a decoding config, recorded on first use. */
export interface RunSource {
  modelId: number;
  configId: number;
  engine: EngineInfo;
}

export function runSource(db: DB, engine: EngineInfo, d: ResolvedDecoding): RunSource {
  return writeTx(db, () => ({
    modelId: upsertModel(db, {
      hash: engine.hash,
      path: engine.dir,
      name: engine.name,
      dtype: engine.dtype,
      source: engine.source,
    }),
    configId: upsertDecodingConfig(db, d.json, d.hash),
    engine,
  }));
}

export interface Generated {
  fileId: number;
  image: ImageInfo;
  candidates: GeneratedCaption[];
  durationMs: number;
  jobId: number | null;
}

/**
 * Writes one image's run in one transaction. With `unlessDone`, nothing is written when the image
 * already has a run that counts as done (the same content under another path was captioned
 * meanwhile); returns the run id, or null when nothing was written.
 */
export function commitRun(
  db: DB,
  src: RunSource,
  g: Generated,
  unlessDone?: (run: { job_id: number | null }) => boolean,
): number | null {
  return writeTx(db, () => {
    const imageId = setFileImage(db, g.fileId, g.image);
    const key = { imageId, modelId: src.modelId, configId: src.configId };
    const existing = unlessDone && currentRun(db, key);
    if (existing && unlessDone(existing)) return null;
    return insertRun(
      db,
      { ...key, jobId: g.jobId, provider: src.engine.provider, durationMs: g.durationMs },
      toNewCandidates(g.candidates, src.engine.grid),
    );
  });
}
