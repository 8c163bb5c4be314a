/**
 * Dataset exports, each row with provenance (image hash, model hash, decoding config, raters,
 * timestamps): COCO captions JSON (+ a results file), Hugging Face imagefolder `metadata.jsonl`
 * with the images, CSV, `.txt` sidecars (in a folder mirroring the library, or next to the
 * photos), and preference pairs (plain, or TRL's conversational vision format) with their images.
 * Images are named by their path inside the library folder. A policy chooses the captions (see
 * `select`). Output is deterministic (exporting twice gives identical bytes) and written
 * atomically; `overwrite` replaces only what an export wrote (outputs.ts). `planExport` builds
 * everything but writes nothing: the studio's preview.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { type ExportCandidate, exportCandidates, verdicts } from '../../../db/queries/export.ts';
import type { ExportFormat, ExportPolicy, ParsedRequest, Split } from '../api/contract.ts';
import { invalid } from '../api/dispatch.ts';
import type { ExportPreview, ExportResult } from '../api/types.ts';
import { leadsOutside } from '../library/inside.ts';
import { userPath } from '../paths.ts';
import { checkFileTarget, writeExportFile, writeExportFolder } from './outputs.ts';

export type ExportOptions = Partial<ParsedRequest<'export.run'>> & {
  format: ExportFormat;
  /** fractions of train / val (test gets the rest) */
  splitFractions?: [number, number];
  rootId?: number;
};

export interface ExportRow extends Omit<ExportCandidate, 'raters' | 'file_path' | 'root_path'> {
  file_path: string;
  /** the image's path inside its library folder, '/'-separated; led by the folder's name when the
   * export spans several folders */
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

/** One image's candidates, most wanted first: rated (highest mean, more ratings, earlier), then
 * human edits (newest first), then the model's (latest run, top beam first). */
function preferred(rs: ExportRow[]): ExportRow[] {
  const tier = (r: ExportRow) => (r.mean_rating !== null ? 0 : r.source === 'human' ? 1 : 2);
  return [...rs].sort(
    (a, b) =>
      tier(a) - tier(b) ||
      (b.mean_rating ?? 0) - (a.mean_rating ?? 0) ||
      b.ratings - a.ratings ||
      (tier(a) === 0
        ? a.candidate_id - b.candidate_id
        : tier(a) === 1
          ? b.candidate_id - a.candidate_id
          : b.run_id - a.run_id || a.rank - b.rank),
  );
}

const byImage = (rows: ExportRow[]) => {
  const m = new Map<number, ExportRow[]>();
  for (const r of rows) m.set(r.image_id, [...(m.get(r.image_id) ?? []), r]);
  return m;
};

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
  const chosen = new Set<ExportRow>();
  for (const rs of byImage(candidates).values()) {
    const pick =
      policy === 'latest'
        ? rs.filter((r) => r.source === 'model').sort((a, b) => b.run_id - a.run_id || a.rank - b.rank)[0]
        : preferred(rs)[0];
    if (pick) chosen.add(pick);
  }
  return candidates.filter((r) => chosen.has(r));
}

/** Paths inside the library, '/'-separated; led by the folder's name when there are several folders. */
function libraryNames(rows: (ExportCandidate & { file_path: string })[]): Map<string, string> {
  const roots = [...new Set(rows.map((r) => r.root_path ?? dirname(r.file_path)))].sort();
  const prefix = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const root of roots) {
    const base = basename(root) || 'library';
    const n = (seen.get(base) ?? 0) + 1; // two folders of one name: photos/, photos-2/
    seen.set(base, n);
    prefix.set(root, roots.length === 1 ? '' : n === 1 ? `${base}/` : `${base}-${n}/`);
  }
  const names = new Map<string, string>();
  for (const r of rows) {
    const root = r.root_path ?? dirname(r.file_path);
    names.set(r.file_path, prefix.get(root) + relative(root, r.file_path).split(sep).join('/'));
  }
  return names;
}

/** The rows an export writes: current candidates under the filters, chosen by the policy (default best). */
export function exportRows(db: DB, o: Omit<ExportOptions, 'format'> = {}): ExportRow[] {
  // a file whose link leads outside its library folder is not exported (its bytes are not copied,
  // nothing is written beside it)
  const found = exportCandidates(db, o).filter(
    (r): r is ExportCandidate & { file_path: string } =>
      r.file_path !== null && !(r.root_path !== null && leadsOutside(r.root_path, r.file_path)),
  );
  const names = libraryNames(found);
  const candidates = found
    .filter((r) => o.minRating === undefined || (r.mean_rating !== null && r.mean_rating >= o.minRating))
    .map(({ root_path: _, ...r }) => ({
      ...r,
      file_name: names.get(r.file_path)!,
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

/** Pairs within one rater's view of one image: a higher rating (or the best pick) is chosen. */
function preferencePairs(db: DB, rows: ExportRow[]) {
  const byId = new Map(rows.map((r) => [r.candidate_id, r]));
  const ratings = verdicts(db, [...byId.keys()]);
  const groups = new Map<string, typeof ratings>();
  for (const r of ratings) {
    const k = `${r.session_id}\0${r.rater}\0${r.image_id}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: { chosen: ExportRow; rejected: ExportRow; a: (typeof ratings)[0]; b: (typeof ratings)[0] }[] =
    [];
  for (const g of groups.values()) {
    for (const a of g) {
      for (const b of g) {
        if (a.candidate_id === b.candidate_id) continue;
        const aWins =
          (a.best && !b.best) || (a.value !== null && b.value !== null && a.value > b.value && !b.best);
        if (!aWins) continue;
        const chosen = byId.get(a.candidate_id)!;
        const rejected = byId.get(b.candidate_id)!;
        if (chosen.caption === rejected.caption) continue; // two sources said the same: no preference to learn
        out.push({ chosen, rejected, a, b });
      }
    }
  }
  return out;
}

const PROMPT = 'Describe the image.';
const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r));

/** What an export would write: files (text), images to place, and its records for the preview. */
interface Plan {
  /** a single file, a dataset folder, or .txt files next to the photos */
  kind: 'file' | 'folder' | 'beside';
  /** the file or folder */
  target: string;
  /** path (inside the folder for 'folder') -> text */
  files: Map<string, string>;
  /** path inside the folder -> the photo to copy or link there */
  images: Map<string, string>;
  /** one per row, as written (a line, or an object's JSON) */
  records: string[];
  /** what `written` reports */
  main: string[];
}

function outPath(o: ExportOptions, what: string): string {
  if (!o.out) throw invalid(`export ${o.format}: ${what} to write is required`, 'out');
  return userPath(o.out);
}

/** The .txt beside an image's path. */
const txtOf = (p: string) => p.slice(0, p.length - extname(p).length) + '.txt';

const oneFile = (target: string, text: string, records: string[]): Plan => ({
  kind: 'file',
  target,
  files: new Map([[target, text]]),
  images: new Map(),
  records,
  main: [target],
});

function plan(db: DB, o: ExportOptions, rows: ExportRow[]): Plan {
  switch (o.format) {
    case 'coco': {
      const target = outPath(o, 'a file');
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
      const text = `${JSON.stringify({ info: { description: 'Caption Studio captions' }, images, annotations }, null, 1)}\n`;
      return oneFile(target, text, jsonl(annotations));
    }
    case 'coco-results': {
      // one caption per image (the most wanted of the selection), in coco-caption's results format
      const target = outPath(o, 'a file');
      const results = [...byImage(rows).values()].map((rs) => {
        const r = preferred(rs)[0];
        return { image_id: r.image_id, caption: r.caption };
      });
      const text = `${JSON.stringify(results, null, 1)}\n`;
      return oneFile(target, text, jsonl(results));
    }
    case 'csv': {
      const target = outPath(o, 'a file');
      const lines = rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
      const text = `${[CSV_COLUMNS.join(','), ...lines].join('\r\n')}\r\n`;
      return oneFile(target, text, lines);
    }
    case 'imagefolder': {
      // one row per image: the most wanted caption as `text`; with a policy that selects several,
      // all of them in `captions`. Images under their split, by their path in the library.
      const target = outPath(o, 'a folder');
      const several = !['best', 'latest'].includes(o.policy ?? 'best');
      const images = new Map<string, string>();
      const meta = [...byImage(rows).values()].map((rs) => {
        const [r] = preferred(rs);
        const file_name = `${r.split}/${r.file_name}`;
        images.set(file_name, r.file_path);
        return {
          file_name,
          text: r.caption,
          original_file: r.file_name,
          ...(several ? { captions: rs.map((c) => ({ text: c.caption, ...provenance(c) })) } : {}),
          ...provenance(r),
        };
      });
      const records = jsonl(meta);
      const files = new Map([['metadata.jsonl', records.map((m) => `${m}\n`).join('')]]);
      return { kind: 'folder', target, files, images, records, main: [join(target, 'metadata.jsonl')] };
    }
    case 'sidecars': {
      // one .txt per image (its most wanted caption): mirroring the library in a folder of its own
      // with the photos, or next to the photos when asked explicitly
      if (o.out && o.beside)
        throw invalid('export sidecars: either a folder or beside the images, not both', 'beside');
      const best = [...byImage(rows).values()].map((rs) => preferred(rs)[0]);
      if (o.beside) {
        const files = new Map(best.map((r) => [txtOf(r.file_path), `${r.caption}\n`]));
        const records = [...files].map(([f, t]) => `${f}: ${t.trim()}`);
        return { kind: 'beside', target: '', files, images: new Map(), records, main: [...files.keys()] };
      }
      const target = outPath(o, 'a folder (or beside the images)');
      const files = new Map(best.map((r) => [txtOf(r.file_name), `${r.caption}\n`]));
      const images = new Map(best.map((r) => [r.file_name, r.file_path]));
      const records = [...files].map(([f, t]) => `${f}: ${t.trim()}`);
      return {
        kind: 'folder',
        target,
        files,
        images,
        records,
        main: [...files.keys()].map((f) => join(target, f)),
      };
    }
    case 'preferences':
    case 'preferences-trl': {
      // pairs with their images under images/, named relative to the folder the JSONL is in
      const target = outPath(o, 'a folder');
      const images = new Map<string, string>();
      const pairs = preferencePairs(db, rows).map(({ chosen, rejected, a, b }) => {
        const image = `images/${chosen.file_name}`;
        images.set(image, chosen.file_path);
        const about = {
          image_hash: chosen.image_hash,
          rater: a.rater,
          session: a.session_id,
          chosen_rating: a.value,
          rejected_rating: b.value,
          chosen_best: a.best === 1,
          chosen_provenance: {
            model_hash: chosen.model_hash,
            decoding_config: JSON.parse(chosen.decoding_config),
            source: chosen.source,
          },
          rejected_provenance: {
            model_hash: rejected.model_hash,
            decoding_config: JSON.parse(rejected.decoding_config),
            source: rejected.source,
          },
        };
        return o.format === 'preferences'
          ? { prompt: PROMPT, chosen: chosen.caption, rejected: rejected.caption, images: [image], ...about }
          : {
              images: [image],
              prompt: [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: PROMPT }] }],
              chosen: [{ role: 'assistant', content: [{ type: 'text', text: chosen.caption }] }],
              rejected: [{ role: 'assistant', content: [{ type: 'text', text: rejected.caption }] }],
              ...about,
            };
      });
      const records = jsonl(pairs);
      const files = new Map([['preferences.jsonl', records.map((m) => `${m}\n`).join('')]]);
      return { kind: 'folder', target, files, images, records, main: [join(target, 'preferences.jsonl')] };
    }
  }
}

/** Why an export found no rows: the first reason that holds. */
function whyNothing(db: DB, o: ExportOptions): string {
  if (!exportRows(db, { policy: 'all' }).length) return 'nothing is captioned yet: caption a folder first';
  const policy = o.policy ?? 'best';
  const filters = { ...o, policy: 'all' as const };
  if (!exportRows(db, { ...filters, minRating: undefined, split: undefined }).length)
    return 'no captions in the folder asked for';
  if (o.minRating !== undefined && !exportRows(db, { ...filters, split: undefined }).length)
    return `no caption has a mean rating of ${o.minRating} or more`;
  if (o.split && !exportRows(db, filters).length) return `no image falls in the '${o.split}' split`;
  const pairs = o.format.startsWith('preferences');
  if (pairs && exportRows(db, filters).some((r) => r.rated))
    return 'no rater preferred one caption of an image to another (a pair needs two different ratings or a best pick)';
  const narrowed = o.raters?.length || o.sessions?.length;
  if (
    policy === 'rated' &&
    narrowed &&
    exportRows(db, { ...filters, raters: undefined, sessions: undefined }).some((r) => r.rated)
  )
    return 'no caption has ratings from the raters or sessions asked for';
  if (policy === 'rated')
    return pairs
      ? 'preference pairs come from ratings, and no caption has been rated'
      : "no caption has been rated: rate some, or export with policy 'best'";
  if (policy === 'human') return 'no caption has been edited by a person';
  return 'no captions under these filters';
}

/** The rows an export would choose and its first records as written, writing nothing. */
export function previewExport(db: DB, o: ExportOptions, first = 5): ExportPreview {
  const { rows, p, note } = prepare(db, o);
  return { format: o.format, rows, target: p.target, records: p.records.slice(0, first), ...note };
}

function prepare(db: DB, o: ExportOptions) {
  // preference pairs come from what raters compared: every rated candidate, whatever the policy
  const chosen: ExportOptions = o.format.startsWith('preferences') ? { ...o, policy: 'rated' } : o;
  const p = plan(db, chosen, exportRows(db, chosen));
  const rows = p.records.length;
  return { p, rows, note: rows ? {} : { note: whyNothing(db, chosen) } };
}

function placeImage(from: string, to: string, mode: 'copy' | 'link' | undefined) {
  mkdirSync(dirname(to), { recursive: true });
  if (mode === 'link') symlinkSync(from, to);
  else copyFileSync(from, to);
}

export function exportDataset(db: DB, o: ExportOptions): ExportResult {
  const { p, rows, note } = prepare(db, o);
  const overwrite = o.overwrite ?? false;
  if (p.kind === 'file') for (const [f, text] of p.files) writeExportFile(db, f, text, overwrite);
  else if (p.kind === 'beside') {
    // every target is checked before any is written
    for (const f of p.files.keys()) checkFileTarget(db, f, overwrite);
    for (const [f, text] of p.files) writeExportFile(db, f, text, overwrite);
  } else
    writeExportFolder(p.target, overwrite, (dir) => {
      for (const [name, from] of p.images) placeImage(from, join(dir, name), o.images);
      for (const [name, text] of p.files) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
    });
  return { format: o.format, rows, written: p.main, ...note };
}
