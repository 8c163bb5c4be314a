/** Rater links (hashed tokens, their sessions) and what a link reaches. */
import type { DB } from '../open.ts';
import { raterId } from './rating.ts';
import { stmt, writeTx } from './statements.ts';

export interface LinkRow {
  id: number;
  rater: string;
  sessions: number[];
  created_at: string;
  revoked_at: string | null;
}

const LINK_SELECT = `SELECT l.id, r.name AS rater, l.created_at, l.revoked_at,
    (SELECT json_group_array(session_id) FROM (SELECT session_id FROM rater_link_sessions
      WHERE link_id = l.id ORDER BY session_id)) AS sessions
  FROM rater_links l JOIN raters r ON r.id = l.rater_id`;

type RawLink = Omit<LinkRow, 'sessions'> & { sessions: string };
const parse = (r: RawLink | undefined): LinkRow | undefined =>
  r && { ...r, sessions: JSON.parse(r.sessions) as number[] };

export function insertLink(db: DB, rater: string, tokenHash: string, sessions: number[]): number {
  return writeTx(db, () => {
    const id = Number(
      stmt(db, 'INSERT INTO rater_links (rater_id, token_hash) VALUES (?, ?)').run(
        raterId(db, rater),
        tokenHash,
      ).lastInsertRowid,
    );
    for (const s of new Set(sessions))
      stmt(db, 'INSERT INTO rater_link_sessions (link_id, session_id) VALUES (?, ?)').run(id, s);
    return id;
  });
}

export function linkById(db: DB, id: number): LinkRow | undefined {
  return parse(stmt<[number], RawLink>(db, `${LINK_SELECT} WHERE l.id = ?`).get(id));
}

/** The live (not revoked) link with this token hash. */
export function liveLinkByHash(db: DB, tokenHash: string): LinkRow | undefined {
  return parse(
    stmt<[string], RawLink>(db, `${LINK_SELECT} WHERE l.token_hash = ? AND l.revoked_at IS NULL`).get(
      tokenHash,
    ),
  );
}

export function listLinks(db: DB): LinkRow[] {
  return stmt<[], RawLink>(db, `${LINK_SELECT} ORDER BY l.id`)
    .all()
    .map((r) => parse(r)!);
}

export function revokeLink(db: DB, id: number): void {
  stmt(
    db,
    "UPDATE rater_links SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND revoked_at IS NULL",
  ).run(id);
}

/** Is library file `fileId` a picture of an image in one of `sessions`? */
export function fileInSessions(db: DB, fileId: number, sessions: number[]): boolean {
  return (
    stmt<[number, string], { n: number }>(
      db,
      `SELECT count(*) AS n FROM files f JOIN session_items si ON si.image_id = f.image_id
        WHERE f.id = ? AND si.session_id IN (SELECT value FROM json_each(?))`,
    ).get(fileId, JSON.stringify(sessions))!.n > 0
  );
}
