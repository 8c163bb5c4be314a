/**
 * The core's implementation of the API contract: library, captions, jobs, rating sessions.
 * Plain Node; the Electron main process and the HTTP server both call it through `dispatch`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import {
  insertCandidate,
  insertRun,
  upsertDecodingConfig,
  upsertModel,
} from '../../../db/queries/captions.ts';
import { listRoots, removeRoot, setFileImage } from '../../../db/queries/library.ts';
import { raterId, ratingsOf, setRating, undoRating } from '../../../db/queries/ratings.ts';
import { stmt } from '../../../db/queries/statements.ts';
import { importReferences } from '../eval/references.ts';
import { evaluationSummary } from '../eval/summary.ts';
import { exportDataset } from '../export/export.ts';
import { canonicalJson } from '../inference/decoding.ts';
import { decodingHash } from '../inference/decoding-hash.ts';
import type { CaptionEngine } from '../inference/engine.ts';
import { type JobSummary, runCaptionJob, toNewCandidates } from '../jobs/caption-job.ts';
import { scanFolder } from '../library/scan.ts';
import type {
  CandidateView,
  Handlers,
  ImageRow,
  JobView,
  Responses,
  RootInfo,
  RunView,
  SessionItem,
} from './contract.ts';

export interface CoreContext {
  db: DB;
  /** the engine, loaded on first use */
  engine: () => Promise<CaptionEngine>;
}

interface FileJoin {
  id: number;
  root_id: number;
  image_id: number | null;
  path: string;
  root_path: string;
  status: ImageRow['status'];
  error: string | null;
  caption: string | null;
}

const FILE_SELECT = `SELECT f.id, f.root_id, f.image_id, f.path, r.path AS root_path, f.status, f.error,
  (SELECT c.text FROM caption_runs cr JOIN caption_candidates c ON c.run_id = cr.id
    WHERE cr.image_id = f.image_id AND cr.superseded = 0 AND c.source = 'model' ORDER BY cr.id DESC, c.rank LIMIT 1) AS caption
  FROM files f JOIN library_roots r ON r.id = f.root_id`;

function toImageRow(f: FileJoin): ImageRow {
  return {
    fileId: f.id,
    rootId: f.root_id,
    imageId: f.image_id,
    rel: relative(f.root_path, f.path).split(sep).join('/'),
    status: f.status,
    error: f.error,
    caption: f.caption,
  };
}

interface CandidateJoin {
  id: number;
  rank: number;
  source: 'model' | 'human';
  text: string;
  token_ids: string | null;
  token_logprobs: string | null;
  logprob_sum: number | null;
  score: number | null;
  has_attention: number;
  edited_from: number | null;
}

export function createHandlers(ctx: CoreContext) {
  const { db } = ctx;
  const jobs = new Map<
    number,
    { view: JobView; controller: AbortController; done: Promise<JobSummary | null> }
  >();

  const file = (fileId: number): FileJoin => {
    const f = stmt<[number], FileJoin>(db, `${FILE_SELECT} WHERE f.id = ?`).get(fileId);
    if (!f) throw new Error(`no image file with id ${fileId}`);
    return f;
  };

  const rootInfo = (id: number): RootInfo => {
    const r = stmt<[number], RootInfo>(
      db,
      `SELECT r.id, r.path,
         (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status != 'missing') AS images,
         (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.image_id IN (SELECT image_id FROM caption_runs WHERE superseded = 0)) AS captioned,
         (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status = 'error') AS errors
       FROM library_roots r WHERE r.id = ?`,
    ).get(id);
    if (!r) throw new Error(`no library folder with id ${id}`);
    return r;
  };

  // per-token text for the heat-map words; special tokens (the final EOS) come out as ''
  const tokenTexts = (engine: CaptionEngine | null, ids: number[]) => {
    if (!engine) return ids.map(String);
    const { start, eos, pad } = engine.bundle.special;
    return ids.map((t) => ([start, eos, pad].includes(t) ? '' : engine.bundle.tokenizer.decode([t])));
  };

  let loadedEngine: CaptionEngine | null = null;
  const engine = async () => {
    loadedEngine ??= await ctx.engine();
    return loadedEngine;
  };

  const candidateView = (c: CandidateJoin, eng: CaptionEngine | null): CandidateView => {
    const ids = c.token_ids ? (JSON.parse(c.token_ids) as number[]) : [];
    return {
      id: c.id,
      rank: c.rank,
      source: c.source,
      text: c.text,
      tokens: tokenTexts(eng, ids),
      tokenLogprobs: c.token_logprobs ? JSON.parse(c.token_logprobs) : [],
      sum: c.logprob_sum,
      score: c.score,
      hasAttention: c.has_attention === 1,
      editedFrom: c.edited_from,
    };
  };

  const runView = async (runId: number): Promise<RunView> => {
    const r = stmt<
      [number],
      { id: number; model: string; json: string; provider: string; created_at: string }
    >(
      db,
      `SELECT cr.id, m.name AS model, dc.json, cr.provider, cr.created_at FROM caption_runs cr
       JOIN models m ON m.id = cr.model_id JOIN decoding_configs dc ON dc.id = cr.config_id WHERE cr.id = ?`,
    ).get(runId)!;
    const eng = await engine().catch(() => null);
    const cands = stmt<[number], CandidateJoin>(
      db,
      `SELECT id, rank, source, text, token_ids, token_logprobs, logprob_sum, score, attention IS NOT NULL AS has_attention,
         edited_from FROM caption_candidates WHERE run_id = ? ORDER BY rank`,
    ).all(runId);
    return {
      id: r.id,
      model: r.model,
      decoding: JSON.parse(r.json),
      provider: r.provider,
      createdAt: r.created_at,
      candidates: cands.map((c) => candidateView(c, eng)),
    };
  };

  const jobView = (jobId: number, s: Partial<JobSummary>, state: string, rootId: number): JobView => ({
    id: jobId,
    rootId,
    state,
    total: s.total ?? 0,
    done: s.done ?? 0,
    captioned: s.captioned ?? 0,
    errors: s.errors ?? 0,
    rate: s.rate ?? 0,
    etaSeconds: s.etaSeconds ?? null,
    errorList: s.errorList ?? [],
  });

  // ---- rating sessions ----

  const sessionItem = (sessionId: number, rater: string, position?: number): SessionItem => {
    const session = stmt<[number], { id: number; blind: number }>(
      db,
      'SELECT id, blind FROM rating_sessions WHERE id = ?',
    ).get(sessionId);
    if (!session) throw new Error(`no rating session with id ${sessionId}`);
    const rid = raterId(db, rater);
    const items = stmt<[number], { position: number; image_id: number; candidate_ids: string }>(
      db,
      'SELECT position, image_id, candidate_ids FROM session_items WHERE session_id = ? ORDER BY position',
    ).all(sessionId);
    if (!items.length) throw new Error(`rating session ${sessionId} has no images`);
    const isDone = (it: (typeof items)[number]) => {
      const ids = JSON.parse(it.candidate_ids) as number[];
      const rated = ratingsOf(db, sessionId, rid, ids);
      return ids.every((c) => rated.get(c)?.value != null);
    };
    const firstOpen = items.findIndex((it) => !isDone(it));
    const resumeAt = firstOpen === -1 ? items.length - 1 : firstOpen;
    const pos = Math.min(Math.max(position ?? resumeAt, 0), items.length - 1);
    const it = items[pos];
    const ids = JSON.parse(it.candidate_ids) as number[];
    const rated = ratingsOf(db, sessionId, rid, ids);
    const f = stmt<[number], FileJoin>(
      db,
      `${FILE_SELECT} WHERE f.image_id = ? AND f.status = 'ok' LIMIT 1`,
    ).get(it.image_id);
    if (!f) throw new Error(`image ${it.image_id} of session ${sessionId} is no longer in the library`);
    const rows = stmt<[], { id: number; text: string; source: string; model: string; config: string }>(
      db,
      `SELECT c.id, c.text, c.source, m.name AS model, dc.json AS config FROM caption_candidates c
       JOIN caption_runs r ON r.id = c.run_id JOIN models m ON m.id = r.model_id JOIN decoding_configs dc ON dc.id = r.config_id
       WHERE c.id IN (${ids.map(Number).join(',') || 'NULL'})`,
    ).all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    // blind: the order is a per-rater shuffle and sources are hidden behind letters
    const order = session.blind
      ? [...ids].sort((a, b) =>
          shuffleKey(sessionId, rater, a).localeCompare(shuffleKey(sessionId, rater, b)),
        )
      : ids;
    const candidates = order.map((cid, i) => {
      const r = byId.get(cid)!;
      const nb = (JSON.parse(r.config) as { num_beams?: number }).num_beams ?? 1;
      const label = session.blind
        ? `Caption ${String.fromCharCode(65 + i)}`
        : r.source === 'human'
          ? 'human edit'
          : `${r.model}, ${nb === 1 ? 'greedy' : `beam ${nb}`}`;
      const rt = rated.get(cid);
      return { id: cid, label, text: r.text, value: rt?.value ?? null, best: rt?.best === 1 };
    });
    return {
      sessionId,
      position: pos,
      total: items.length,
      resumeAt,
      file: toImageRow(f),
      candidates,
      rated: items.filter(isDone).length,
    };
  };

  /** The session item showing a candidate. */
  const itemOf = (sessionId: number, candidateId: number) =>
    stmt<[number, string], { image_id: number; candidate_ids: string; position: number }>(
      db,
      'SELECT image_id, candidate_ids, position FROM session_items WHERE session_id = ? AND EXISTS (SELECT 1 FROM json_each(candidate_ids) WHERE value = CAST(? AS INTEGER))',
    ).get(sessionId, String(candidateId));

  const handlers = {
    async 'engine.info'() {
      const e = await engine();
      return {
        model: e.info.name,
        provider: e.info.provider,
        notes: e.info.providerNotes,
        grid: e.info.grid,
      };
    },
    async 'library.roots'() {
      return listRoots(db).map((r) => rootInfo(r.id));
    },
    async 'library.addRoot'({ path }) {
      const s = await scanFolder(db, path);
      return rootInfo(s.root.id);
    },
    async 'library.removeRoot'({ rootId }) {
      removeRoot(db, rootId);
      return null;
    },
    async 'library.runs'() {
      return stmt<[], { modelId: number; configId: number; model: string; json: string; images: number }>(
        db,
        `SELECT r.model_id AS modelId, r.config_id AS configId, m.name AS model, dc.json, count(*) AS images
         FROM caption_runs r JOIN models m ON m.id = r.model_id JOIN decoding_configs dc ON dc.id = r.config_id
         WHERE r.superseded = 0 GROUP BY r.model_id, r.config_id ORDER BY m.name, r.config_id`,
      )
        .all()
        .map(({ json, ...r }) => ({ ...r, decoding: JSON.parse(json) }));
    },
    async 'library.images'({ rootId, filter, run, search, offset, limit }) {
      const where: string[] = ["f.status != 'missing'"];
      const args: unknown[] = [];
      if (rootId) {
        where.push('f.root_id = ?');
        args.push(rootId);
      }
      const captioned = 'f.image_id IN (SELECT image_id FROM caption_runs WHERE superseded = 0)';
      const rated = 'f.image_id IN (SELECT image_id FROM ratings)';
      if (filter === 'uncaptioned') where.push(`f.status != 'error' AND NOT (${captioned})`);
      if (filter === 'errors') where.push("f.status = 'error'");
      if (filter === 'rated') where.push(rated);
      if (filter === 'unrated') where.push(`${captioned} AND NOT (${rated})`);
      if (run) {
        where.push(
          'f.image_id IN (SELECT image_id FROM caption_runs WHERE superseded = 0 AND model_id = ? AND config_id = ?)',
        );
        args.push(run.modelId, run.configId);
      }
      if (search) {
        where.push(
          `f.image_id IN (SELECT cr.image_id FROM caption_runs cr JOIN caption_candidates c ON c.run_id = cr.id WHERE c.text LIKE ? ESCAPE '\\')`,
        );
        args.push(`%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      }
      const w = `WHERE ${where.join(' AND ')}`;
      const total = (db.prepare(`SELECT count(*) AS n FROM files f ${w}`).get(...args) as { n: number }).n;
      const rows = db
        .prepare(`${FILE_SELECT} ${w} ORDER BY f.path LIMIT ? OFFSET ?`)
        .all(...args, limit, offset) as FileJoin[];
      return { total, items: rows.map(toImageRow) };
    },
    async 'image.get'({ fileId }) {
      const f = file(fileId);
      const img = f.image_id
        ? stmt<[number], { width: number; height: number }>(
            db,
            'SELECT width, height FROM images WHERE id = ?',
          ).get(f.image_id)
        : undefined;
      const runIds = f.image_id
        ? stmt<[number], { id: number }>(
            db,
            'SELECT id FROM caption_runs WHERE image_id = ? AND superseded = 0 ORDER BY id',
          ).all(f.image_id)
        : [];
      return {
        file: toImageRow(f),
        width: img?.width ?? null,
        height: img?.height ?? null,
        runs: await Promise.all(runIds.map((r) => runView(r.id))),
      };
    },
    async 'image.recaption'({ fileId, decoding }) {
      const f = file(fileId);
      const e = await engine();
      const d = e.decoding(decoding);
      const bytes = await readFile(f.path);
      const started = performance.now();
      const pre = await e.preprocess(f.path, bytes);
      const [cands] = await e.captionPixels([pre.pixels], d);
      const hash = createHash('sha256').update(bytes).digest('hex');
      const runId = db.transaction(() => {
        const imageId = setFileImage(db, f.id, {
          hash,
          bytes: bytes.length,
          width: pre.width,
          height: pre.height,
          format: pre.format,
        });
        const modelId = upsertModel(db, { hash: e.info.hash, path: e.info.dir, name: e.info.name });
        const configId = upsertDecodingConfig(db, canonicalJson(d), decodingHash(d));
        const durationMs = performance.now() - started;
        return insertRun(
          db,
          { imageId, modelId, configId, jobId: null, provider: e.info.provider, durationMs },
          toNewCandidates(cands, e.info.grid),
        );
      })();
      return runView(runId);
    },
    async 'candidate.attention'({ candidateId }) {
      const c = stmt<[number], { attention: Buffer | null; attention_grid: string | null }>(
        db,
        'SELECT attention, attention_grid FROM caption_candidates WHERE id = ?',
      ).get(candidateId);
      if (!c) throw new Error(`no caption candidate with id ${candidateId}`);
      if (!c.attention || !c.attention_grid)
        throw new Error(`caption candidate ${candidateId} has no attention maps`);
      return { shape: JSON.parse(c.attention_grid), data: Array.from(c.attention) };
    },
    async 'candidate.edit'({ candidateId, text }) {
      const src = stmt<[number], { run_id: number }>(
        db,
        'SELECT run_id FROM caption_candidates WHERE id = ?',
      ).get(candidateId);
      if (!src) throw new Error(`no caption candidate with id ${candidateId}`);
      const id = db.transaction(() => {
        const rank = stmt<[number], { r: number }>(
          db,
          'SELECT max(rank) + 1 AS r FROM caption_candidates WHERE run_id = ?',
        ).get(src.run_id)!.r;
        return insertCandidate(db, src.run_id, { rank, source: 'human', text, editedFrom: candidateId });
      })();
      const c = stmt<[number], CandidateJoin>(
        db,
        `SELECT id, rank, source, text, token_ids, token_logprobs, logprob_sum, score, attention IS NOT NULL AS has_attention, edited_from
         FROM caption_candidates WHERE id = ?`,
      ).get(id)!;
      return candidateView(c, null);
    },
    async 'jobs.start'({ rootId, decoding, policy }) {
      rootInfo(rootId);
      for (const j of jobs.values()) {
        if (j.view.rootId === rootId && j.view.state === 'running') return j.view;
      }
      const e = await engine();
      const decodingResolved = e.decoding(decoding);
      const controller = new AbortController();
      const entry = {
        view: jobView(0, {}, 'running', rootId),
        controller,
        done: Promise.resolve<JobSummary | null>(null),
      };
      let started: () => void = () => {};
      const startedP = new Promise<void>((res) => {
        started = res;
      });
      entry.done = runCaptionJob(db, e, {
        rootId,
        decoding: decodingResolved,
        policy,
        signal: controller.signal,
        batchSize: 8,
        onStart: (jobId) => {
          entry.view.id = jobId;
          jobs.set(jobId, entry);
          started();
        },
        onProgress: (p) => Object.assign(entry.view, jobView(p.jobId, p, entry.view.state, rootId)),
      }).then(
        (s) => {
          const state = controller.signal.aborted ? String(controller.signal.reason ?? 'paused') : 'done';
          Object.assign(entry.view, jobView(s.jobId, s, state, rootId));
          return s;
        },
        (err: unknown) => {
          entry.view.state = `failed: ${err instanceof Error ? err.message : String(err)}`;
          return null;
        },
      );
      await Promise.race([startedP, entry.done]);
      return entry.view;
    },
    async 'jobs.list'() {
      return [...jobs.values()].map((j) => j.view).reverse();
    },
    async 'jobs.stop'({ jobId, action }) {
      const j = jobs.get(jobId);
      if (!j) throw new Error(`no running job with id ${jobId}`);
      j.controller.abort(action === 'pause' ? 'paused' : 'cancelled');
      await j.done;
      if (action === 'cancel') stmt(db, "UPDATE jobs SET state = 'cancelled' WHERE id = ?").run(jobId);
      j.view.state = action === 'pause' ? 'paused' : 'cancelled';
      return j.view;
    },
    async 'sessions.create'({ name, rootId, blind, limit }) {
      rootInfo(rootId);
      const images = stmt<[number, number], { image_id: number }>(
        db,
        `SELECT DISTINCT f.image_id FROM files f WHERE f.root_id = ? AND f.status = 'ok'
           AND f.image_id IN (SELECT image_id FROM caption_runs WHERE superseded = 0) ORDER BY f.path LIMIT ?`,
      ).all(rootId, limit);
      if (!images.length) throw new Error('no captioned images in this folder yet: caption it first');
      const sessionId = db.transaction(() => {
        const sid = Number(
          stmt(db, 'INSERT INTO rating_sessions (name, blind, config) VALUES (?, ?, ?)').run(
            name,
            blind ? 1 : 0,
            JSON.stringify({
              rootId,
              sources: 'best candidate of every current run, plus human edits',
              scale: '1-5',
            }),
          ).lastInsertRowid,
        );
        images.forEach((im, position) => {
          // each source contributes its best candidate: rank 0 of every current run, and human edits
          const ids = stmt<[number], { id: number }>(
            db,
            `SELECT c.id FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id
             WHERE r.image_id = ? AND r.superseded = 0 AND (c.rank = 0 OR c.source = 'human') ORDER BY r.id, c.rank`,
          )
            .all(im.image_id)
            .map((r) => r.id);
          stmt(
            db,
            'INSERT INTO session_items (session_id, position, image_id, candidate_ids) VALUES (?, ?, ?, ?)',
          ).run(sid, position, im.image_id, JSON.stringify(ids));
        });
        return sid;
      })();
      return { id: sessionId, name, blind, items: images.length };
    },
    async 'sessions.list'() {
      return stmt<[], { id: number; name: string; blind: number; items: number }>(
        db,
        'SELECT s.id, s.name, s.blind, (SELECT count(*) FROM session_items i WHERE i.session_id = s.id) AS items FROM rating_sessions s ORDER BY s.id DESC',
      )
        .all()
        .map((s) => ({ ...s, blind: s.blind === 1 }));
    },
    async 'sessions.item'({ sessionId, rater, position }) {
      return sessionItem(sessionId, rater, position);
    },
    async 'ratings.set'({ sessionId, rater, candidateId, value, best }) {
      const item = itemOf(sessionId, candidateId);
      if (!item) throw new Error(`candidate ${candidateId} is not part of rating session ${sessionId}`);
      setRating(db, {
        sessionId,
        raterId: raterId(db, rater),
        imageId: item.image_id,
        candidateId,
        value,
        best,
        siblings: JSON.parse(item.candidate_ids),
      });
      return sessionItem(sessionId, rater, item.position);
    },
    async 'ratings.undo'({ sessionId, rater }) {
      const cand = undoRating(db, sessionId, raterId(db, rater));
      if (cand === null) return sessionItem(sessionId, rater);
      return sessionItem(sessionId, rater, itemOf(sessionId, cand)?.position);
    },
    async 'eval.summary'({ rootId }) {
      return evaluationSummary(db, { rootId });
    },
    async 'eval.importReferences'({ path }) {
      return importReferences(db, path);
    },
    async 'export.run'(o) {
      return exportDataset(db, o);
    },
  } satisfies Handlers;

  return {
    handlers,
    /** stop running jobs (they pause, resumable) */
    async close() {
      for (const j of jobs.values()) if (j.view.state === 'running') j.controller.abort('paused');
      await Promise.all([...jobs.values()].map((j) => j.done));
      await loadedEngine?.dispose();
    },
  };
}

function shuffleKey(sessionId: number, rater: string, candidateId: number): string {
  return createHash('sha1').update(`${sessionId}\0${rater}\0${candidateId}`).digest('hex');
}

export type { Responses };
