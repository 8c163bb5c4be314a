/**
 * Rated-dataset exports, each row with provenance (image hash, model hash, decoding config,
 * raters, timestamps): COCO captions JSON (+ a results file), Hugging Face imagefolder
 * `metadata.jsonl` with the images copied or linked, CSV, `.txt` sidecars next to the images,
 * and preference pairs JSONL. Output is deterministic (exporting twice gives identical bytes) and
 * written atomically; `overwrite` replaces only what an export wrote (outputs.ts).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { type ExportCandidate, exportCandidates, verdicts } from '../../../db/queries/export.ts';
import type { ExportFormat, ExportPolicy, ParsedRequest, Split } from '../api/contract.ts';
import type { ExportResult } from '../api/types.ts';
import { checkFileTarget, writeExportFile, writeExportFolder } from './outputs.ts';

export type ExportOptions = Partial<ParsedRequest<'export.run'>> & {
  format: ExportFormat;
  /** fractions of train / val (test gets the rest) */
  splitFractions?: [number, number];
  rootId?: number;
};

export interface ExportRow extends Omit<ExportCandidate, 'raters' | 'file_path'> {
  file_path: string;
  file_name: string;
  raters: string[];
  split: Split;
}

/** A stable split by image hash: the same image lands in the same split in every export. */
export function splitOf(hash: string, [train, val]: [number, number] = [0.8, 0.1]): Split {
  const u =
    Number.parseInt(createHash('sha256').update(`split:${hash}`).digest('hex').slice(0, 12), 16) / 2 ** 48;
  return u < train ? 'train' : u < train + val ? 'val' : 'test';
}

/**
 * The captions a policy takes from one image's current candidates:
 * - best: the highest mean rating (more ratings, then the earlier candidate, break ties); unrated,
 *   the newest human edit; else the top beam of the latest run. One per image.
 * - latest: the top beam of the image's latest run. One per image.
 * - human: every human edit. rated: every candidate with ratings. all: every candidate.
 */
export function select(candidates: ExportRow[], policy: ExportPolicy): ExportRow[] {
  if (policy === 'all') return candidates;
  if (policy === 'rated') return candidates.filter((r) => r.rated);
  if (policy === 'human') return candidates.filter((r) => r.source === 'human');
  const byImage = new Map<number, ExportRow[]>();
  for (const r of candidates) byImage.set(r.image_id, [...(byImage.get(r.image_id) ?? []), r]);
  const topOfLatest = (rs: ExportRow[]) =>
    rs.filter((r) => r.source === 'model').sort((a, b) => b.run_id - a.run_id || a.rank - b.rank)[0];
  const chosen = new Set<ExportRow>();
  for (const rs of byImage.values()) {
    const rated = rs
      .filter((r) => r.mean_rating !== null)
      .sort(
        (a, b) => b.mean_rating! - a.mean_rating! || b.ratings - a.ratings || a.candidate_id - b.candidate_id,
      );
    const human = rs.filter((r) => r.source === 'human').sort((a, b) => b.candidate_id - a.candidate_id);
    const pick = policy === 'latest' ? topOfLatest(rs) : (rated[0] ?? human[0] ?? topOfLatest(rs));
    if (pick) chosen.add(pick);
  }
  return candidates.filter((r) => chosen.has(r));
}

/** The rows an export writes: current candidates under the filters, chosen by the policy (default best). */
export function exportRows(db: DB, o: Omit<ExportOptions, 'format'> = {}): ExportRow[] {
  const candidates = exportCandidates(db, o)
    .filter((r): r is ExportCandidate & { file_path: string } => r.file_path !== null)
    .filter((r) => o.minRating === undefined || (r.mean_rating !== null && r.mean_rating >= o.minRating))
    .map((r) => ({
      ...r,
      file_name: basename(r.file_path),
      raters: (JSON.parse(r.raters) as string[]).sort(),
      mean_rating: r.mean_rating === null ? null : Math.round(r.mean_rating * 1e6) / 1e6,
      split: splitOf(r.image_hash, o.splitFractions),
    }));
  return select(candidates, o.policy ?? 'best').filter((r) => !o.split || r.split === o.split);
}

const provenance = (r: ExportRow) => ({
  image_hash: r.image_hash,
  model: r.model,
  model_hash: r.model_hash,
  model_dtype: r.model_dtype,
  model_source: r.model_source,
  decoding_config: JSON.parse(r.decoding_config),
  source: r.source,
  raters: r.raters,
  mean_rating: r.mean_rating,
  ratings: r.ratings,
  best_picks: r.best_picks,
  captioned_at: r.captioned_at,
  rated_at: r.rated_at,
  split: r.split,
});

export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_COLUMNS = [
  'file_name',
  'caption',
  'image_hash',
  'source',
  'model',
  'model_hash',
  'decoding_config',
  'raters',
  'mean_rating',
  'ratings',
  'best_picks',
  'captioned_at',
  'rated_at',
  'split',
  'model_dtype',
] as const;

function preferencePairs(db: DB, rows: ExportRow[]) {
  // pairs within one rater's view of one image: a higher rating (or the best pick) is chosen
  const byId = new Map(rows.map((r) => [r.candidate_id, r]));
  const ratings = verdicts(db, [...byId.keys()]);
  const groups = new Map<string, typeof ratings>();
  for (const r of ratings) {
    const k = `${r.session_id}\0${r.rater}\0${r.image_id}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: object[] = [];
  for (const g of groups.values()) {
    for (const a of g) {
      for (const b of g) {
        if (a.candidate_id === b.candidate_id) continue;
        const aWins =
          (a.best && !b.best) || (a.value !== null && b.value !== null && a.value > b.value && !b.best);
        if (!aWins) continue;
        const ra = byId.get(a.candidate_id)!;
        const rb = byId.get(b.candidate_id)!;
        if (ra.caption === rb.caption) continue; // two sources said the same: no preference to learn
        out.push({
          prompt: 'Describe the image.',
          chosen: ra.caption,
          rejected: rb.caption,
          images: [ra.file_name],
          image_hash: ra.image_hash,
          rater: a.rater,
          session: a.session_id,
          chosen_rating: a.value,
          rejected_rating: b.value,
          chosen_best: a.best === 1,
          chosen_provenance: {
            model_hash: ra.model_hash,
            decoding_config: JSON.parse(ra.decoding_config),
            source: ra.source,
          },
          rejected_provenance: {
            model_hash: rb.model_hash,
            decoding_config: JSON.parse(rb.decoding_config),
            source: rb.source,
          },
        });
      }
    }
  }
  return out;
}

/** Why an export found no rows: the first reason that holds. */
function whyNothing(db: DB, o: ExportOptions): string {
  if (!exportRows(db, { policy: 'all' }).length) return 'nothing is captioned yet: caption a folder first';
  const policy = o.policy ?? 'best';
  const filters = { ...o, policy: 'all' as const };
  if (!exportRows(db, { ...filters, minRating: undefined, split: undefined }).length)
    return 'no captions match the raters, sessions or folder asked for';
  if (o.minRating !== undefined && !exportRows(db, { ...filters, split: undefined }).length)
    return `no caption has a mean rating of ${o.minRating} or more`;
  if (o.split && !exportRows(db, filters).length) return `no image falls in the '${o.split}' split`;
  if (policy === 'rated')
    return o.format === 'preferences'
      ? 'preference pairs come from ratings, and no caption has been rated'
      : "no caption has been rated: rate some, or export with policy 'best'";
  if (policy === 'human') return 'no caption has been edited by a person';
  return 'no captions under these filters';
}

export function exportDataset(db: DB, o: ExportOptions): ExportResult {
  // preference pairs come from what raters compared: every rated candidate, whatever the policy
  const chosen: ExportOptions = o.format === 'preferences' ? { ...o, policy: 'rated' } : o;
  const rows = exportRows(db, chosen);
  const note = rows.length ? {} : { note: whyNothing(db, chosen) };
  const overwrite = o.overwrite ?? false;
  const need = (what: string) => {
    if (!o.out) throw new Error(`export ${o.format}: --out ${what} is required`);
    return resolve(o.out);
  };
  switch (o.format) {
    case 'coco': {
      const out = need('FILE');
      const images = [...new Map(rows.map((r) => [r.image_id, r])).values()].map((r) => ({
        id: r.image_id,
        file_name: r.file_name,
        width: r.width,
        height: r.height,
        image_hash: r.image_hash,
      }));
      const annotations = rows.map((r) => ({
        id: r.candidate_id,
        image_id: r.image_id,
        caption: r.caption,
        ...provenance(r),
      }));
      writeExportFile(
        db,
        out,
        `${JSON.stringify({ info: { description: 'Caption Studio rated captions' }, images, annotations }, null, 1)}\n`,
        overwrite,
      );
      return { format: o.format, rows: rows.length, written: [out], ...note };
    }
    case 'coco-results': {
      // the best-rated caption per image, in coco-caption's results format
      const out = need('FILE');
      const best = new Map<number, ExportRow>();
      for (const r of rows) {
        const cur = best.get(r.image_id);
        if (!cur || (r.mean_rating ?? 0) > (cur.mean_rating ?? 0)) best.set(r.image_id, r);
      }
      const results = [...best.values()].map((r) => ({ image_id: r.image_id, caption: r.caption }));
      writeExportFile(db, out, `${JSON.stringify(results, null, 1)}\n`, overwrite);
      return { format: o.format, rows: results.length, written: [out], ...note };
    }
    case 'csv': {
      const out = need('FILE');
      const lines = [CSV_COLUMNS.join(',')];
      for (const r of rows) lines.push(CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
      writeExportFile(db, out, `${lines.join('\r\n')}\r\n`, overwrite);
      return { format: o.format, rows: rows.length, written: [out], ...note };
    }
    case 'preferences': {
      const out = need('FILE');
      const pairs = preferencePairs(db, rows);
      writeExportFile(db, out, pairs.map((p) => `${JSON.stringify(p)}\n`).join(''), overwrite);
      return { format: o.format, rows: pairs.length, written: [out], ...note };
    }
    case 'imagefolder': {
      const out = need('FOLDER');
      writeExportFolder(out, overwrite, (dir) => {
        const names = new Map<number, string>();
        for (const r of rows) {
          if (names.has(r.image_id)) continue;
          // hash-named files: unique even when two folders hold files of the same name
          const name = join(r.split, `${r.image_hash.slice(0, 16)}${extname(r.file_path).toLowerCase()}`);
          names.set(r.image_id, name);
          mkdirSync(join(dir, r.split), { recursive: true });
          if (o.images === 'link') symlinkSync(r.file_path, join(dir, name));
          else copyFileSync(r.file_path, join(dir, name));
        }
        const meta = rows.map((r) =>
          JSON.stringify({ file_name: names.get(r.image_id), text: r.caption, ...provenance(r) }),
        );
        writeFileSync(join(dir, 'metadata.jsonl'), meta.map((m) => `${m}\n`).join(''));
      });
      return { format: o.format, rows: rows.length, written: [join(out, 'metadata.jsonl')], ...note };
    }
    case 'sidecars': {
      // one .txt next to each image: its best-rated caption. Every target is checked before any is written.
      const best = new Map<string, ExportRow>();
      for (const r of rows) {
        const cur = best.get(r.file_path);
        if (!cur || (r.mean_rating ?? 0) > (cur.mean_rating ?? 0)) best.set(r.file_path, r);
      }
      const targets = [...best.values()].map((r) => ({
        file: r.file_path.slice(0, -extname(r.file_path).length) + '.txt',
        text: `${r.caption}\n`,
      }));
      for (const t of targets) checkFileTarget(db, t.file, overwrite);
      for (const t of targets) writeExportFile(db, t.file, t.text, overwrite);
      return { format: o.format, rows: targets.length, written: targets.map((t) => t.file), ...note };
    }
  }
}
