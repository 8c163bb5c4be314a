/** Library rows as the API shows them. */
import { relative, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { type FileJoin, rootCounts } from '../../../db/queries/library.ts';
import { notFound } from '../api/dispatch.ts';
import type { ImageRow, RootInfo } from '../api/types.ts';

export function toImageRow(f: FileJoin): ImageRow {
  return {
    fileId: f.id,
    rootId: f.root_id,
    imageId: f.image_id,
    rel: relative(f.root_path, f.path).split(sep).join('/'),
    status: f.status,
    error: f.error,
    caption: f.caption,
    model: f.model,
    score: f.score,
    edited: f.source === 'human',
    hash: f.image_hash,
    ...(f.clip_score === undefined ? {} : { clipScore: f.clip_score }),
  };
}

export function rootInfo(db: DB, id: number): RootInfo {
  const r = rootCounts(db, id);
  if (!r) throw notFound(`no library folder with id ${id}`);
  const { path, images, captioned, errors, unread, missing } = r;
  return { id, path, images, captioned, errors, unread, missing };
}
