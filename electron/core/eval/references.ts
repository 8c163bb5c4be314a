/**
 * Reference captions: imported from COCO captions JSON (`images`, `annotations`) or from plain
 * `image<TAB>caption` files, and matched to library images by file name or by content hash.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { insertReference } from '../../../db/queries/eval.ts';
import { imageIdForKey } from '../../../db/queries/library.ts';
import { writeTx } from '../../../db/queries/statements.ts';
import type { ImportSummary } from '../api/types.ts';

export function parseReferenceFile(file: string): { key: string; caption: string }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (file.toLowerCase().endsWith('.json')) {
    let data: { images?: unknown; annotations?: unknown };
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data.images)) throw new Error(`${file}: field 'images' must be an array`);
    if (!Array.isArray(data.annotations)) throw new Error(`${file}: field 'annotations' must be an array`);
    const names = new Map<unknown, string>();
    data.images.forEach((im: { id?: unknown; file_name?: unknown }, i: number) => {
      if (typeof im?.file_name !== 'string')
        throw new Error(`${file}: images[${i}].file_name must be a string`);
      names.set(im.id, im.file_name);
    });
    return data.annotations.map((a: { image_id?: unknown; caption?: unknown }, i: number) => {
      const name = names.get(a?.image_id);
      if (name === undefined)
        throw new Error(`${file}: annotations[${i}].image_id ${String(a?.image_id)} is not in images`);
      if (typeof a.caption !== 'string')
        throw new Error(`${file}: annotations[${i}].caption must be a string`);
      return { key: name, caption: a.caption };
    });
  }
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() && !line.startsWith('#'))
    .map(({ line, i }) => {
      const tab = line.indexOf('\t');
      if (tab <= 0) throw new Error(`${file}: line ${i + 1}: expected image<TAB>caption`);
      return { key: line.slice(0, tab).trim(), caption: line.slice(tab + 1).trim() };
    });
}

export function importReferences(db: DB, file: string): ImportSummary {
  const rows = parseReferenceFile(file);
  const summary: ImportSummary = { file, captions: rows.length, added: 0, matchedImages: 0, unmatched: [] };
  const matched = new Set<number>();
  writeTx(db, () => {
    const cache = new Map<string, number | null>();
    for (const r of rows) {
      if (!cache.has(r.key)) cache.set(r.key, imageIdForKey(db, r.key, basename(r.key)));
      const imageId = cache.get(r.key)!;
      if (imageId === null) {
        if (!summary.unmatched.includes(r.key)) summary.unmatched.push(r.key);
        continue;
      }
      matched.add(imageId);
      if (insertReference(db, imageId, r.caption, file)) summary.added++;
    }
  });
  summary.matchedImages = matched.size;
  return summary;
}
