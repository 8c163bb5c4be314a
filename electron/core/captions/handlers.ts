/** The image view: every caption run of an image, re-captioning, heat-maps and human edits. */
import {
  attentionOf,
  type CandidateListing,
  candidateById,
  candidateSource,
  candidatesOfRun,
  currentRunIds,
  insertEdit,
  runRow,
} from '../../../db/queries/captions.ts';
import { fileById, imageSize, neighbours } from '../../../db/queries/library.ts';
import type { Dtype, Handlers } from '../api/contract.ts';
import { ApiError, notFound } from '../api/dispatch.ts';
import type { CandidateView, RunView } from '../api/types.ts';
import type { Core } from '../core.ts';
import { modelRef } from '../jobs/handlers.ts';
import { readAndHash } from '../library/read.ts';
import { toImageRow } from '../library/views.ts';
import { addEditToSession, checkInSession } from '../rating/sessions.ts';
import { commitRun, runSource } from './commit.ts';

const parse = <T>(json: string | null, fallback: T): T => (json ? JSON.parse(json) : fallback);

function candidateView(c: CandidateListing): CandidateView {
  return {
    id: c.id,
    rank: c.rank,
    source: c.source,
    text: c.text,
    tokens: parse(c.token_texts, []),
    tokenLogprobs: parse(c.token_logprobs, []),
    sum: c.logprob_sum,
    score: c.score,
    hasAttention: c.has_attention === 1,
    editedFrom: c.edited_from,
  };
}

type CaptionChannels =
  | 'image.get'
  | 'image.recaption'
  | 'candidate.attention'
  | 'candidate.layers'
  | 'candidate.edit';

export function captionHandlers({ db, models }: Core): Pick<Handlers, CaptionChannels> {
  const file = (fileId: number) => {
    const f = fileById(db, fileId);
    if (!f) throw notFound(`no image file with id ${fileId}`);
    return f;
  };
  const runView = (runId: number): RunView => {
    const r = runRow(db, runId)!;
    return {
      id: r.id,
      model: r.model,
      dtype: r.dtype as RunView['dtype'],
      decoding: JSON.parse(r.json),
      provider: r.provider,
      createdAt: r.created_at,
      candidates: candidatesOfRun(db, runId).map(candidateView),
    };
  };

  return {
    async 'image.get'({ fileId }) {
      const f = file(fileId);
      const size = f.image_id ? imageSize(db, f.image_id) : undefined;
      return {
        file: toImageRow(f),
        width: size?.width ?? null,
        height: size?.height ?? null,
        runs: f.image_id ? currentRunIds(db, f.image_id).map(runView) : [],
        ...neighbours(db, f),
      };
    },
    async 'image.recaption'({ fileId, decoding, model, dtype }) {
      const f = file(fileId);
      const { engine, release } = await models.lease(model, dtype, { attention: true }); // the image view draws heat-maps
      try {
        const d = engine.decoding(decoding);
        const { bytes, hash } = await readAndHash(f.path, f.root_path);
        const size = bytes.length; // before the bytes are handed to the worker
        for await (const out of engine.captionFiles([{ file: f.path, bytes }], d)) {
          if (!out.ok) throw new Error(out.error);
          const { width, height, format, candidates } = out.result;
          const runId = commitRun(db, runSource(db, engine.info, d), {
            fileId: f.id,
            image: { hash, bytes: size, width, height, format },
            candidates,
            durationMs: out.durationMs,
            jobId: null,
          })!;
          return runView(runId);
        }
        throw new Error(`${f.path}: the model returned nothing`);
      } finally {
        release();
      }
    },
    async 'candidate.attention'({ candidateId }) {
      const c = attentionOf(db, candidateId);
      if (!c) throw notFound(`no caption candidate with id ${candidateId}`);
      if (!c.attention || !c.attention_grid)
        throw notFound(`caption candidate ${candidateId} has no attention maps`);
      return { shape: JSON.parse(c.attention_grid), data: Array.from(c.attention) };
    },
    async 'candidate.layers'({ fileId, candidateId, layer, head }) {
      const f = file(fileId);
      const c = candidateSource(db, candidateId);
      if (!c || c.image_id !== f.image_id) throw notFound(`no caption candidate ${candidateId} of ${f.path}`);
      if (!c.token_ids) throw notFound(`caption candidate ${candidateId} is not the model's (no tokens)`);
      // the model that made it, by the name jobs use (a Hub repository at its commit, or its folder)
      const { engine, release } = await models.lease(modelRef(c.source), c.dtype as Dtype, {
        attention: true,
      });
      try {
        const { bytes } = await readAndHash(f.path, f.root_path);
        const task = JSON.parse(c.json).task;
        return await engine.layers({ file: f.path, bytes }, task, JSON.parse(c.token_ids), { layer, head });
      } catch (err) {
        if (err instanceof Error && err.name === 'RangeError')
          throw new ApiError(400, err.message, err.message.split(' ')[0]);
        throw err;
      } finally {
        release();
      }
    },
    async 'candidate.edit'({ candidateId, text, sessionId }) {
      if (sessionId !== undefined) checkInSession(db, sessionId, candidateId);
      const id = insertEdit(db, candidateId, text);
      if (id === null) throw notFound(`no caption candidate with id ${candidateId}`);
      if (sessionId !== undefined) addEditToSession(db, sessionId, candidateId, { id, text });
      return candidateView(candidateById(db, id)!);
    },
  };
}
