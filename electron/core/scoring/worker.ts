/**
 * The scorer's worker thread: it owns a CLIP scorer's two ONNX sessions and reads and preprocesses
 * the images itself, so neither the towers' blocking `run` calls nor the decoding hold up the
 * thread that answers the UI; search by meaning embeds its query and ranks the library here too
 * (search/rank.ts). One request at a time, in order; `remote.ts` is the other side.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { type DB, openDatabase } from '../../../db/open.ts';
import { imageEmbedding } from '../../../db/queries/scores.ts';
import { DTYPE_SUFFIX } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import { hashFiles } from '../inference/bundle.ts';
import { clipVariants } from '../inference/clip/layout.ts';
import { ClipScorer } from '../inference/clip/scorer.ts';
import { onnxVariants } from '../inference/runtime/variants.ts';
import { Ranker, rankPage } from '../search/rank.ts';
import type { ImageScores, ScorerInfo, ScorerReply, ScorerRequest, SearchResult } from './protocol.ts';

const port = parentPort!;
let scorer: ClipScorer | null = null;
/** search's: a read-only connection to the studio's database, and the cached embedding matrix */
let db: DB | null = null;
let ranker: Ranker | null = null;
let queue: Promise<unknown> = Promise.resolve();

async function open(m: Extract<ScorerRequest, { kind: 'open' }>): Promise<ScorerInfo> {
  const dtypes = clipVariants(m.dir);
  const dtype = m.dtype ?? (dtypes.includes('fp32') ? 'fp32' : dtypes[0]);
  if (!dtype || !dtypes.includes(dtype)) {
    throw new ApiError(
      422,
      `${m.dir}: no ${m.dtype ?? ''} variant with both CLIP towers (variants: ${dtypes.join(', ') || 'none'})`,
      'dtype',
    );
  }
  scorer = await ClipScorer.open(m.dir, DTYPE_SUFFIX[dtype]);
  const towers = onnxVariants(m.dir).get(dtype)!;
  const files = [
    towers.get('text_model')!,
    towers.get('vision_model')!,
    'merges.txt',
    'preprocessor_config.json',
  ];
  return {
    dtype,
    dtypes,
    hash: await hashFiles(
      m.dir,
      files.map((f) => (f.includes('/') ? f : join(m.dir, f))),
    ),
  };
}

async function score(m: Extract<ScorerRequest, { kind: 'score' }>): Promise<ImageScores> {
  if (!scorer) throw new Error('no scorer open');
  const embedding = m.embedding ?? (await scorer.embedImage(m.file, await readFile(m.file)));
  return { embedding, scores: await scorer.score(embedding, m.captions, m.references) };
}

/**
 * Search by meaning: the query's text embedding here (or the stored embedding of the image that
 * more like this starts from), then the ranking over the stored embeddings.
 */
async function search(m: Extract<ScorerRequest, { kind: 'search' }>): Promise<SearchResult> {
  if (!scorer) throw new Error('no scorer open');
  if (db?.name !== m.db) {
    db?.close();
    db = openDatabase(m.db, { readonly: true });
  }
  ranker ??= await Ranker.create();
  if (m.like) {
    const query = imageEmbedding(db, m.like.imageId, m.scorerId);
    if (!query)
      throw new ApiError(
        409,
        `${m.like.name} has no image embedding under this scorer: score its folder with it first`,
        'fileId',
      );
    return rankPage(ranker, db, { ...m, query, exclude: m.like.imageId });
  }
  const [query] = await scorer.embedTexts([m.query ?? '']);
  return rankPage(ranker, db, { ...m, query, exclude: null });
}

const handle = (m: ScorerRequest) =>
  m.kind === 'open' ? open(m) : m.kind === 'score' ? score(m) : search(m);

port.on('message', (m: ScorerRequest) => {
  queue = queue.then(async () => {
    let reply: ScorerReply;
    try {
      reply = { id: m.id, ok: true, value: await handle(m) };
    } catch (e) {
      reply = {
        id: m.id,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
        status: e instanceof ApiError ? e.status : undefined,
        field: e instanceof ApiError ? e.field : undefined,
      };
    }
    port.postMessage(reply);
  });
});
