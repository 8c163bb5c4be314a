/**
 * Which captions an export takes: the current candidates under the request's filters, named by
 * their path inside the library folder, each in a stable split, chosen by a policy (`select`).
 */
import { createHash } from 'node:crypto';
import { basename, dirname, relative, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { type ExportCandidate, exportCandidates } from '../../../db/queries/export.ts';
import { finalJudgments } from '../../../db/queries/session-admin.ts';
import type { ExportFormat, ExportPolicy, ParsedRequest, Split } from '../api/contract.ts';
import { leadsOutside } from '../library/inside.ts';

export type ExportOptions = Partial<ParsedRequest<'export.run'>> & {
  format: ExportFormat;
  /** fractions of train / val (test gets the rest) */
  splitFractions?: [number, number];
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
export function preferred(rs: ExportRow[]): ExportRow[] {
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

export const byImage = (rows: ExportRow[]) => {
  const m = new Map<number, ExportRow[]>();
  for (const r of rows) m.set(r.image_id, [...(m.get(r.image_id) ?? []), r]);
  return m;
};

/**
 * The captions a policy takes from one image's current candidates:
 * - best: the caption of the image's final judgment (exportRows); else the highest mean rating (more ratings, then the earlier candidate, break ties); unrated,
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
  const policy = o.policy ?? 'best';
  const picked = new Set(select(candidates, policy));
  // best: an image's final judgment (the adjudication view's best caption) wins over the ratings
  const finals = policy === 'best' ? finalBestByImage(db, o.sessions) : new Map<number, number>();
  const decided = new Set(
    candidates.filter((r) => finals.get(r.image_id) === r.candidate_id).map((r) => r.image_id),
  );
  return candidates
    .filter((r) => (decided.has(r.image_id) ? finals.get(r.image_id) === r.candidate_id : picked.has(r)))
    .filter((r) => !o.split || r.split === o.split);
}

/** Per image, the best caption of its newest final judgment (of these sessions). */
function finalBestByImage(db: DB, sessions?: number[]): Map<number, number> {
  const m = new Map<number, number>();
  const newestLast = finalJudgments(db, sessions).sort((a, b) => a.at.localeCompare(b.at));
  for (const f of newestLast) if (f.kind === 'best') m.set(f.image_id, f.candidate_id);
  return m;
}
