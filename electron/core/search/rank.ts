/**
 * Search by meaning, brute force: the cosine of a query embedding with every stored image embedding
 * of a scorer (all unit length, so a matrix-vector product), then the best rows. Runs in the
 * scorer's worker thread (scoring/worker.ts), never on the thread that answers the UI.
 *
 * The product is one ONNX MatMul on ONNX Runtime's CPU kernels: measured on 100k x 512 on this 2-core
 * machine, a plain JavaScript loop took 130-440 ms per query (4-way unrolled: 130-320 ms), the
 * MatMul 9-160 ms (the spread is the machine's other load), so no vector index is needed at this size
 * (bench/search.ts). The matrix (matrix.ts, kept in step with the database) is passed as an input
 * tensor over its Float32Array (no copy).
 */
import * as ort from 'onnxruntime-node';
import type { DB } from '../../../db/open.ts';
import { fileShowingImage, imagesOfRoot } from '../../../db/queries/embeddings.ts';
import { ApiError } from '../api/dispatch.ts';
import type { SearchHit } from '../api/types.ts';
import { onnx } from '../inference/graph/proto.ts';
import { toImageRow } from '../library/views.ts';
import { EmbeddingCache } from './matrix.ts';

/** scores [n, 1] = matrix [n, d] x query [d, 1] */
function matMulModel(): Uint8Array {
  const F = onnx.TensorProto.DataType.FLOAT;
  const io = (name: string, dims: string[]) => ({
    name,
    type: { tensorType: { elemType: F, shape: { dim: dims.map((d) => ({ dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'cosine',
      node: [{ opType: 'MatMul', input: ['matrix', 'query'], output: ['scores'] }],
      input: [io('matrix', ['n', 'd']), io('query', ['d', 'one'])],
      output: [io('scores', ['n', 'one'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** One scorer's embeddings in memory, and the session that compares a query with all of them. */
export class Ranker {
  private readonly cache = new EmbeddingCache();

  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(): Promise<Ranker> {
    return new Ranker(
      await ort.InferenceSession.create(matMulModel(), {
        // one thread: the product is bound by memory bandwidth, and the other core answers the UI
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        enableCpuMemArena: false,
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      }),
    );
  }

  /** The cosine of `query` (unit length) with every stored embedding of the scorer, in row order. */
  async cosines(
    db: DB,
    scorerId: number,
    query: Float32Array,
  ): Promise<{ imageIds: Int32Array; scores: Float32Array }> {
    const { ids, matrix, dim } = this.cache.current(db, scorerId);
    if (ids.length === 0) return { imageIds: ids, scores: new Float32Array(0) };
    if (query.length !== dim) {
      throw new ApiError(
        409,
        `the stored embeddings have ${dim} values, the query's ${query.length}: score the library again`,
        'scorer',
      );
    }
    const r = await this.session.run({
      matrix: new ort.Tensor('float32', matrix, [ids.length, dim]),
      query: new ort.Tensor('float32', query, [dim, 1]),
    });
    return { imageIds: ids, scores: r.scores.data as Float32Array };
  }

  async release(): Promise<void> {
    this.cache.clear();
    await this.session.release();
  }
}

/**
 * The rows of the `k` best scores, best first; equal scores in image id order. A min-heap of the k
 * best so far (its root the worst of them): one pass, O(n log k). Rows scored -Infinity are left out.
 */
export function topRows(scores: Float32Array, imageIds: Int32Array, k: number): Int32Array {
  // a ranks below b
  const below = (a: number, b: number) =>
    scores[a] < scores[b] || (scores[a] === scores[b] && imageIds[a] > imageIds[b]);
  const heap = new Int32Array(Math.max(0, Math.min(k, scores.length)));
  let size = 0;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < size && below(heap[l], heap[w])) w = l;
      if (r < size && below(heap[r], heap[w])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let row = 0; row < scores.length && heap.length > 0; row++) {
    if (scores[row] === Number.NEGATIVE_INFINITY) continue;
    if (size < heap.length) {
      let i = size++;
      heap[i] = row;
      while (i > 0 && below(heap[i], heap[(i - 1) >> 1])) {
        const p = (i - 1) >> 1;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (below(heap[0], row)) {
      heap[0] = row;
      down(0);
    }
  }
  return heap.slice(0, size).sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
}

export interface RankRequest {
  scorerId: number;
  /** the query's unit embedding: a text's, or an image's (more like this) */
  query: Float32Array;
  /** an image left out of the ranking: the one more like this starts from */
  exclude: number | null;
  rootId: number | null;
  offset: number;
  limit: number;
}

/**
 * A page of the ranking: the images with a readable file (in the root, when one is given; but not
 * the excluded one) in order of their cosine with the query. The best `offset + limit` rows are taken first (twice that, at
 * least 64, then four times as many while images without a file make the page short); only those
 * rows' files are looked up, and the page's library rows read here, off the answering thread.
 */
export async function rankPage(
  ranker: Ranker,
  db: DB,
  req: RankRequest,
): Promise<{ searched: number; hits: SearchHit[] }> {
  const { imageIds, scores } = await ranker.cosines(db, req.scorerId, req.query);
  if (req.rootId !== null) {
    const shown = imagesOfRoot(db, req.rootId);
    for (let i = 0; i < scores.length; i++) if (!shown.has(imageIds[i])) scores[i] = Number.NEGATIVE_INFINITY;
  }
  if (req.exclude !== null)
    for (let i = 0; i < scores.length; i++)
      if (imageIds[i] === req.exclude) scores[i] = Number.NEGATIVE_INFINITY;
  const want = req.offset + req.limit;
  for (let k = Math.min(scores.length, Math.max(64, 2 * want)); ; k = Math.min(scores.length, 4 * k)) {
    const hits: SearchHit[] = [];
    for (const row of topRows(scores, imageIds, k)) {
      const file = fileShowingImage(db, imageIds[row], req.rootId);
      if (file === undefined) continue;
      hits.push({ ...toImageRow(file), score: scores[row] });
      if (hits.length === want) break;
    }
    if (hits.length === want || k >= scores.length)
      return { searched: imageIds.length, hits: hits.slice(req.offset) };
  }
}
