/** Library roots, files and images. */
import type { DB } from '../open.ts';
import { CAPTIONED_IMAGES, CURRENT_CAPTION_ID } from './runs.ts';
import { stmt, writeTx } from './statements.ts';

export interface Root {
  id: number;
  path: string;
  added_at: string;
  scanned_at: string | null;
}

export type FileStatus = 'new' | 'ok' | 'error' | 'missing';

export interface FileRow {
  id: number;
  root_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  image_id: number | null;
  status: FileStatus;
  error: string | null;
}

export function addRoot(db: DB, path: string): Root {
  stmt(db, 'INSERT INTO library_roots (path) VALUES (?) ON CONFLICT(path) DO NOTHING').run(path);
  return stmt<[string], Root>(db, 'SELECT * FROM library_roots WHERE path = ?').get(path)!;
}

export function listRoots(db: DB): Root[] {
  return stmt<[], Root>(db, 'SELECT * FROM library_roots ORDER BY path').all();
}

/**
 * Forgets a library folder: its files and jobs. What was learnt about its images stays, keyed by
 * content hash (runs and candidates, ratings, references): adding the folder (or any folder with
 * the same photos) again shows it all again. Runs keep their model and decoding; only the link to
 * the removed job goes.
 */
export function removeRoot(db: DB, id: number): void {
  writeTx(db, () => {
    stmt(
      db,
      `INSERT OR REPLACE INTO known_files (path, size, mtime_ms, image_id)
       SELECT path, size, mtime_ms, image_id FROM files WHERE root_id = ? AND status = 'ok' AND image_id IS NOT NULL`,
    ).run(id);
    stmt(
      db,
      'UPDATE caption_runs SET job_id = NULL WHERE job_id IN (SELECT id FROM jobs WHERE root_id = ?)',
    ).run(id);
    stmt(db, 'DELETE FROM jobs WHERE root_id = ?').run(id);
    stmt(db, 'DELETE FROM files WHERE root_id = ?').run(id);
    stmt(db, 'DELETE FROM library_roots WHERE id = ?').run(id);
  });
}

export function markScanned(db: DB, rootId: number): void {
  stmt(db, "UPDATE library_roots SET scanned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(
    rootId,
  );
}

export function filesOfRoot(db: DB, rootId: number): FileRow[] {
  return stmt<[number], FileRow>(db, 'SELECT * FROM files WHERE root_id = ? ORDER BY path').all(rootId);
}

/** Known size/mtime of every file under a root, for incremental rescans. */
export function fileStamps(
  db: DB,
  rootId: number,
): Map<string, { id: number; size: number; mtime_ms: number; status: FileStatus }> {
  const rows = stmt<
    [number],
    { id: number; path: string; size: number; mtime_ms: number; status: FileStatus }
  >(db, 'SELECT id, path, size, mtime_ms, status FROM files WHERE root_id = ?').all(rootId);
  return new Map(rows.map((r) => [r.path, r]));
}

/**
 * Records a file found by a scan as new (or as an error known without reading it). A file a removed
 * folder left in `known_files`, unchanged, gets its image back.
 */
export function insertFile(
  db: DB,
  rootId: number,
  f: { path: string; size: number; mtimeMs: number; error?: string },
  seenAt: string,
): void {
  stmt(
    db,
    `INSERT INTO files (root_id, path, size, mtime_ms, status, error, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, size = excluded.size, mtime_ms = excluded.mtime_ms,
       status = excluded.status, error = excluded.error, image_id = NULL, seen_at = excluded.seen_at`,
  ).run(rootId, f.path, f.size, f.mtimeMs, f.error ? 'error' : 'new', f.error ?? null, seenAt);
  if (f.error) return;
  const known = stmt<[string, number, number], { image_id: number }>(
    db,
    'DELETE FROM known_files WHERE path = ? AND size = ? AND mtime_ms = ? RETURNING image_id',
  ).get(f.path, f.size, f.mtimeMs);
  if (known)
    stmt(db, "UPDATE files SET status = 'ok', image_id = ? WHERE path = ?").run(known.image_id, f.path);
}

/** Marks a file as seen by this scan; a file that had gone missing gets its old status back. */
export function touchFile(db: DB, id: number, seenAt: string): void {
  stmt(
    db,
    `UPDATE files SET seen_at = ?, status = CASE WHEN status != 'missing' THEN status
       WHEN image_id IS NOT NULL THEN 'ok' WHEN error IS NOT NULL THEN 'error' ELSE 'new' END WHERE id = ?`,
  ).run(seenAt, id);
}

/** Files of a root not seen by the scan that started at `scanStartedAt` are marked missing. */
export function markMissing(db: DB, rootId: number, scanStartedAt: string): number {
  return stmt(
    db,
    "UPDATE files SET status = 'missing' WHERE root_id = ? AND seen_at < ? AND status != 'missing'",
  ).run(rootId, scanStartedAt).changes;
}

export function setFileError(db: DB, fileId: number, message: string): void {
  stmt(db, "UPDATE files SET status = 'error', error = ?, image_id = NULL WHERE id = ?").run(message, fileId);
}

export interface ImageInfo {
  hash: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
}

/** Records the file's content as an image (deduplicated by hash) and links the file to it. */
export function setFileImage(db: DB, fileId: number, info: ImageInfo): number {
  stmt(
    db,
    `INSERT INTO images (hash, bytes, width, height, format) VALUES (@hash, @bytes, @width, @height, @format)
     ON CONFLICT(hash) DO NOTHING`,
  ).run(info);
  const { id } = stmt<[string], { id: number }>(db, 'SELECT id FROM images WHERE hash = ?').get(info.hash)!;
  stmt(db, "UPDATE files SET status = 'ok', error = NULL, image_id = ? WHERE id = ?").run(id, fileId);
  return id;
}

// ---- views for the API ----

/** A file joined with its root and its current best caption: the row behind `ImageRow`. */
export interface FileJoin {
  id: number;
  root_id: number;
  image_id: number | null;
  path: string;
  root_path: string;
  status: FileStatus;
  error: string | null;
  caption: string | null;
  /** the model whose run holds that caption, its score, and who wrote it */
  model: string | null;
  score: number | null;
  source: 'model' | 'human' | null;
  /** the image's content hash (sha256), once read */
  image_hash: string | null;
  /** the review queue's: the current caption's CLIPScore under its scorer */
  clip_score?: number;
}

const FILE_SELECT = `SELECT f.id, f.root_id, f.image_id, f.path, r.path AS root_path, f.status, f.error,
  (SELECT i.hash FROM images i WHERE i.id = f.image_id) AS image_hash,
  c.text AS caption, c.score, c.source, m.name AS model
  FROM files f JOIN library_roots r ON r.id = f.root_id
  LEFT JOIN caption_candidates c ON c.id = ${CURRENT_CAPTION_ID('f.image_id')}
  LEFT JOIN caption_runs cr ON cr.id = c.run_id
  LEFT JOIN models m ON m.id = cr.model_id`;

export function fileById(db: DB, fileId: number): FileJoin | undefined {
  return stmt<[number], FileJoin>(db, `${FILE_SELECT} WHERE f.id = ?`).get(fileId);
}

/** The files before and after this one in its folder's grid order (path), skipping missing ones. */
export function neighbours(
  db: DB,
  f: { root_id: number; path: string },
): { prev: number | null; next: number | null } {
  const one = (sql: string) =>
    stmt<[number, string], { id: number }>(db, sql).get(f.root_id, f.path)?.id ?? null;
  return {
    prev: one(
      "SELECT id FROM files WHERE root_id = ? AND path < ? AND status != 'missing' ORDER BY path DESC LIMIT 1",
    ),
    next: one(
      "SELECT id FROM files WHERE root_id = ? AND path > ? AND status != 'missing' ORDER BY path LIMIT 1",
    ),
  };
}

/** A readable file showing this image (any, when it is in several places). */
export function fileOfImage(db: DB, imageId: number): FileJoin | undefined {
  return stmt<[number], FileJoin>(db, `${FILE_SELECT} WHERE f.image_id = ? AND f.status = 'ok' LIMIT 1`).get(
    imageId,
  );
}

/**
 * A library folder and how many of its files are there (`images`, not missing), have a current
 * caption run, could not be read, are not read yet (`unread`) and are missing.
 */
export type RootCountsRow = Pick<Root, 'id' | 'path'> &
  Record<'images' | 'captioned' | 'errors' | 'unread' | 'missing', number>;

export function rootCounts(db: DB, rootId: number): RootCountsRow | undefined {
  return stmt<[number], RootCountsRow>(
    db,
    `SELECT r.id, r.path,
       (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status != 'missing') AS images,
       (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.image_id IN (${CAPTIONED_IMAGES})) AS captioned,
       (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status = 'error') AS errors,
       (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status = 'new') AS unread,
       (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status = 'missing') AS missing
     FROM library_roots r WHERE r.id = ?`,
  ).get(rootId);
}

export function rootPath(db: DB, rootId: number): string | undefined {
  return stmt<[number], { path: string }>(db, 'SELECT path FROM library_roots WHERE id = ?').get(rootId)
    ?.path;
}

export function imageSize(db: DB, imageId: number): { width: number; height: number } | undefined {
  return stmt<[number], { width: number; height: number }>(
    db,
    'SELECT width, height FROM images WHERE id = ?',
  ).get(imageId);
}

export function imageByHash(db: DB, hash: string): (Omit<ImageInfo, 'hash'> & { id: number }) | undefined {
  return stmt<[string], Omit<ImageInfo, 'hash'> & { id: number }>(
    db,
    'SELECT id, bytes, width, height, format FROM images WHERE hash = ?',
  ).get(hash);
}

export interface ImageQuery {
  rootId?: number;
  filter: 'all' | 'uncaptioned' | 'errors' | 'rated' | 'unrated';
  run?: { modelId: number; configId: number };
  search: string;
  /** part of the path inside the folder */
  name?: string;
  desc?: boolean;
  offset: number;
  limit: number;
}

/** A LIKE pattern matching `text` anywhere, its wildcards escaped (with \\). */
const like = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/** The files (alias `f`) the library's filters select: a WHERE clause and its arguments. */
export function filesWhere(q: Omit<ImageQuery, 'offset' | 'limit'>): { w: string; args: unknown[] } {
  const where: string[] = ["f.status != 'missing'"];
  const args: unknown[] = [];
  if (q.rootId) {
    where.push('f.root_id = ?');
    args.push(q.rootId);
  }
  const captioned = `f.image_id IN (${CAPTIONED_IMAGES})`;
  const rated = 'f.image_id IN (SELECT image_id FROM ratings)';
  // a file not read yet has no image: it is uncaptioned and unrated (NOT IN over NULL would hide it)
  const not = (set: string) => `(f.image_id IS NULL OR NOT (${set}))`;
  if (q.filter === 'uncaptioned') where.push(`f.status != 'error' AND ${not(captioned)}`);
  if (q.filter === 'errors') where.push("f.status = 'error'");
  if (q.filter === 'rated') where.push(rated);
  if (q.filter === 'unrated') where.push(`f.status != 'error' AND ${not(rated)}`);
  if (q.run) {
    where.push(`f.image_id IN (${CAPTIONED_IMAGES} AND model_id = ? AND config_id = ?)`);
    args.push(q.run.modelId, q.run.configId);
  }
  if (q.search) {
    // in the caption as it stands (the one shown, edits count), not in one it replaced: the text
    // test first, so the current-caption lookup runs for the candidates that match only (aliases
    // of their own: CURRENT_CAPTION_ID's cr and cc must not capture these)
    where.push(
      `f.image_id IN (SELECT sr.image_id FROM caption_runs sr JOIN caption_candidates sc ON sc.run_id = sr.id
         WHERE sc.text LIKE ? ESCAPE '\\' AND sc.id = ${CURRENT_CAPTION_ID('sr.image_id')})`,
    );
    args.push(like(q.search));
  }
  if (q.name) {
    // the path after the folder's own (and its separator), so a folder's name matches no file of it
    where.push(
      `substr(f.path, (SELECT length(r.path) FROM library_roots r WHERE r.id = f.root_id) + 2) LIKE ? ESCAPE '\\'`,
    );
    args.push(like(q.name));
  }
  return { w: `WHERE ${where.join(' AND ')}`, args };
}

/** One page of the library grid under its filters, and how many files match in all. */
export function imagesPage(db: DB, q: ImageQuery): { total: number; rows: FileJoin[] } {
  const { w, args } = filesWhere(q);
  const total = stmt<unknown[], { n: number }>(db, `SELECT count(*) AS n FROM files f ${w}`).get(...args)!.n;
  // the page's ids first (in path order, from an index), then the details of those rows only
  const order = `ORDER BY f.path${q.desc ? ' DESC' : ''}`;
  const rows = stmt<unknown[], FileJoin>(
    db,
    `${FILE_SELECT} WHERE f.id IN (SELECT f.id FROM files f ${w} ${order} LIMIT ? OFFSET ?) ${order}`,
  ).all(...args, q.limit, q.offset);
  return { total, rows };
}

/**
 * The review queue: a page of the files the filters select whose image's current caption has a
 * CLIPScore under `scorerId`, lowest first (then by candidate; an image's files in the order of
 * index files_image, by id). The scores are walked in the order of index candidate_scores_low
 * (CROSS JOIN keeps that loop outermost), each checked for being its image's current caption, so no
 * sort is made (ordering by file too would sort); `total` counts every such file (at 100k files,
 * the bulk of the time: bench/review.ts).
 */
export function reviewPage(
  db: DB,
  q: ImageQuery & { scorerId: number },
): { total: number; rows: FileJoin[] } {
  const { count, page, args } = reviewSql(q);
  const total = stmt<unknown[], { n: number }>(db, count).get(...args)!.n;
  const ids = stmt<unknown[], { id: number; clip_score: number }>(db, page).all(...args, q.limit, q.offset);
  return { total, rows: ids.map((p) => ({ ...fileById(db, p.id)!, clip_score: p.clip_score })) };
}

/** The first `limit` images of a root's review queue under `scorerId`, in its order: a rating session's items. */
export function reviewImages(db: DB, rootId: number, scorerId: number, limit: number): number[] {
  const { page, args } = reviewSql({ rootId, filter: 'all', search: '', scorerId });
  const images = new Set<number>();
  for (const r of stmt<unknown[], { image_id: number }>(db, page).iterate(...args, -1, 0)) {
    images.add(r.image_id);
    if (images.size === limit) break;
  }
  return [...images];
}

/** The review queue's statements (count, and a page: LIMIT ? OFFSET ? after `args`), for reviewPage and its plan's test. */
export function reviewSql(q: Omit<ImageQuery, 'offset' | 'limit'> & { scorerId: number }) {
  const { w, args } = filesWhere(q);
  const from = `FROM candidate_scores s CROSS JOIN caption_candidates c CROSS JOIN caption_runs r CROSS JOIN files f
    ${w} AND s.scorer_id = ? AND c.id = s.candidate_id AND r.id = c.run_id AND f.image_id = r.image_id
      AND s.candidate_id = ${CURRENT_CAPTION_ID('r.image_id')}`;
  return {
    // by file: one current-caption look-up per file, not per score (every beam has one)
    count: `SELECT count(*) AS n FROM files f ${w} AND EXISTS (SELECT 1 FROM candidate_scores s
      WHERE s.scorer_id = ? AND s.candidate_id = ${CURRENT_CAPTION_ID('f.image_id')})`,
    page: `SELECT f.id, f.image_id, s.clip_score ${from} ORDER BY s.clip_score, s.candidate_id LIMIT ? OFFSET ?`,
    args: [...args, q.scorerId],
  };
}

/** Files of a root that could not be read, with the reason. */
export function errorsOfRoot(db: DB, rootId: number): { path: string; error: string }[] {
  return stmt<[number], { path: string; error: string }>(
    db,
    "SELECT path, error FROM files WHERE root_id = ? AND status = 'error' ORDER BY path",
  ).all(rootId);
}

/** Files of a root a caption job works through: new ones and readable ones. */
export function captionableFiles(db: DB, rootId: number): FileRow[] {
  return stmt<[number], FileRow>(
    db,
    "SELECT * FROM files WHERE root_id = ? AND status IN ('new', 'ok') ORDER BY path",
  ).all(rootId);
}

/** Images of a root that have a current caption run, in path order: a rating session's items. */
export function captionedImagesOfRoot(db: DB, rootId: number, limit: number): number[] {
  return stmt<[number, number], { image_id: number }>(
    db,
    `SELECT DISTINCT f.image_id FROM files f WHERE f.root_id = ? AND f.status = 'ok'
       AND f.image_id IN (${CAPTIONED_IMAGES}) ORDER BY f.path LIMIT ?`,
  )
    .all(rootId, limit)
    .map((r) => r.image_id);
}

/** Library images a reference caption's key names: by content hash, else by file name. */
export function imageIdForKey(db: DB, key: string, name: string): number | null {
  if (/^[0-9a-f]{64}$/.test(key)) {
    const byHash = stmt<[string], { id: number }>(db, 'SELECT id FROM images WHERE hash = ?').get(key);
    if (byHash) return byHash.id;
  }
  const rows = stmt<[string, string], { image_id: number; path: string }>(
    db,
    "SELECT image_id, path FROM files WHERE status = 'ok' AND image_id IS NOT NULL AND (path LIKE '%/' || ? OR path LIKE '%\\' || ?)",
  ).all(name, name);
  const exact = rows.filter((r) => r.path.endsWith(`/${name}`) || r.path.endsWith(`\\${name}`));
  return exact.length ? exact[0].image_id : null;
}
