/**
 * Scoring a library's captions with a CLIP scorer: every current candidate (model beams and human
 * edits of current runs) the scorer has not scored yet, by image, so a stopped run resumes where
 * it was. The scorer runs in its worker thread (remote.ts); each image's embedding is stored once
 * (images are content hashes) and reused; each image's scores are committed as they come.
 */
import { upsertModel } from '../../../db/queries/captions.ts';
import { referencesByImage } from '../../../db/queries/eval.ts';
import { imageEmbedding, saveImageScores, unscoredCandidates } from '../../../db/queries/scores.ts';
import type { Dtype } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import type { ScoreSummary } from '../api/types.ts';
import type { Core } from '../core.ts';
import { clipScoreSources } from '../eval/clip.ts';
import { isClipScorer } from '../inference/clip/layout.ts';
import type { ResolvedModel } from '../models/installed.ts';
import { RemoteScorer } from './remote.ts';

export interface ScoreRequest {
  rootId?: number;
  /** a model reference naming a CLIP scorer (ORG/NAME[@REV] in the cache, or a listed folder) */
  scorer: string;
  dtype?: Dtype;
  /** RefCLIPScore too, for images with reference captions */
  refs?: boolean;
}

/** The CLIP scorer a request names; an unknown one or one of another kind is an error at field `scorer`. */
export async function resolveScorer(models: Core['models'], ref: string): Promise<ResolvedModel> {
  const m = await models.resolve(ref).catch((err: unknown) => {
    // the resolver names its own field ('model' or none): here the request's is `scorer`
    throw err instanceof ApiError && (!err.field || err.field === 'model')
      ? new ApiError(err.status, err.message, 'scorer')
      : err;
  });
  if (!isClipScorer(m.dir)) {
    throw new ApiError(
      422,
      `${m.label} is not a CLIP scorer (it needs config.json of model_type clip, merges.txt, preprocessor_config.json and onnx/text_model, onnx/vision_model)`,
      'scorer',
    );
  }
  return m;
}

export async function scoreLibrary(
  { db, models }: Core,
  req: ScoreRequest,
  workerUrl?: URL,
): Promise<ScoreSummary> {
  const m = await resolveScorer(models, req.scorer);
  const scorer = await RemoteScorer.open(m.dir, req.dtype, workerUrl);
  try {
    const { hash, dtype } = scorer.info;
    const scorerId = upsertModel(db, { hash, path: m.dir, name: m.label, dtype, source: m.source });
    const refs = req.refs ? referencesByImage(db) : new Map<number, string[]>();
    const byImage = new Map<number, { file: string; ids: number[]; texts: string[] }>();
    for (const c of unscoredCandidates(db, scorerId, req.rootId)) {
      const img = byImage.get(c.image_id) ?? { file: c.file_path, ids: [], texts: [] };
      img.ids.push(c.candidate_id);
      img.texts.push(c.text);
      byImage.set(c.image_id, img);
    }
    const summary: ScoreSummary = {
      scorer: m.label,
      dtype,
      images: 0,
      candidates: 0,
      failed: [],
      meanClipScore: null,
      meanRefClipScore: null,
      sources: [],
    };
    let sum = 0;
    let refSum = 0;
    let refN = 0;
    for (const [imageId, img] of byImage) {
      const references = refs.get(imageId) ?? [];
      let result: Awaited<ReturnType<RemoteScorer['score']>>;
      try {
        result = await scorer.score(
          img.file,
          imageEmbedding(db, imageId, scorerId) ?? null,
          img.texts,
          references,
        );
      } catch (err) {
        summary.failed.push({ path: img.file, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      saveImageScores(
        db,
        scorerId,
        imageId,
        result.embedding,
        result.scores.map((s, i) => ({ candidateId: img.ids[i], ...s, refs: references.length })),
      );
      summary.images++;
      for (const s of result.scores) {
        summary.candidates++;
        sum += s.clipScore;
        if (s.refClipScore !== null) {
          refSum += s.refClipScore;
          refN++;
        }
      }
    }
    summary.meanClipScore = summary.candidates ? sum / summary.candidates : null;
    summary.meanRefClipScore = refN ? refSum / refN : null;
    summary.sources = clipScoreSources(db, scorerId, req.rootId);
    return summary;
  } finally {
    await scorer.close();
  }
}
