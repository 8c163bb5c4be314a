/**
 * The formats: what each export writes (text files, photos to place) and its records as written,
 * built in memory without writing (`plan`). COCO captions JSON (+ a results file), Hugging Face
 * imagefolder `metadata.jsonl` with the images, CSV, `.txt` sidecars (in a folder mirroring the
 * library, or next to the photos), preference pairs (plain, or TRL's conversational vision format)
 * with their images. Every row carries its provenance; output is deterministic.
 */
import { extname, join } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { verdicts } from '../../../db/queries/export.ts';
import { invalid } from '../api/dispatch.ts';
import { userPath } from '../paths.ts';
import { type PreferencePair, pairwiseNote, pairwisePairs } from './pairwise.ts';
import { byImage, type ExportOptions, type ExportRow, preferred } from './select.ts';

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
  clip_score: r.clip_score,
  clip_scorer: r.clip_scorer,
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
  'clip_score',
  'clip_scorer',
] as const;

/** Pairs within one rater's view of one image: a higher rating (or the best pick) is chosen. */
function preferencePairs(db: DB, rows: ExportRow[]): PreferencePair[] {
  const byId = new Map(rows.map((r) => [r.candidate_id, r]));
  const ratings = verdicts(db, [...byId.keys()]);
  const groups = new Map<string, typeof ratings>();
  for (const r of ratings) {
    const k = `${r.session_id}\0${r.rater}\0${r.image_id}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: PreferencePair[] = [];
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
        out.push({
          chosen,
          rejected,
          rater: a.rater,
          session: a.session_id,
          chosenRating: a.value,
          rejectedRating: b.value,
          chosenBest: a.best === 1,
        });
      }
    }
  }
  return out;
}

const PROMPT = 'Describe the image.';
const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r));

/** What an export would write: files (text), images to place, and its records for the preview. */
export interface Plan {
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
  /** what the export left out, when it says so */
  note?: string;
}

function outPath(o: ExportOptions, what: string): string {
  if (!o.out) throw invalid(`export ${o.format}: ${what} to write is required`, 'out');
  return userPath(o.out);
}

/** A caption on one line of a sidecar: a line break inside it would read as a second caption. */
const oneLine = (caption: string) => caption.replace(/\s*[\r\n]+\s*/g, ' ').trim();

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

export function plan(db: DB, o: ExportOptions, rows: ExportRow[]): Plan {
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
      // coco-caption's results format: exactly one caption per image. A policy that selected
      // several for an image is refused, not silently narrowed to one.
      const target = outPath(o, 'a file');
      const results = [...byImage(rows).values()].map((rs) => {
        if (rs.length > 1)
          throw invalid(
            `export coco-results: one caption per image (coco-caption's results format), but policy '${o.policy}' selects ${rs.length} for ${rs[0].file_name}: use policy best or latest, or the coco or csv format for every caption`,
            'policy',
          );
        // clip_score: where the caption has one (caption-studio score); coco-caption ignores extra keys
        const { image_id, caption, clip_score } = rs[0];
        return clip_score === null ? { image_id, caption } : { image_id, caption, clip_score };
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
      // one .txt per image: mirroring the library in a folder of its own with the photos, or next
      // to the photos when asked explicitly. Every caption the policy selected, one per line, most
      // wanted first (best and latest select one per image).
      if (o.out && o.beside)
        throw invalid('export sidecars: either a folder or beside the images, not both', 'beside');
      const images = [...byImage(rows).values()].map(preferred);
      const records: string[] = [];
      const sidecar = (name: string, rs: ExportRow[]): [string, string] => {
        const name_ = txtOf(name);
        for (const r of rs) records.push(`${name_}: ${oneLine(r.caption)}`);
        return [name_, rs.map((r) => `${oneLine(r.caption)}\n`).join('')];
      };
      if (o.beside) {
        const files = new Map(images.map((rs) => sidecar(rs[0].file_path, rs)));
        return { kind: 'beside', target: '', files, images: new Map(), records, main: [...files.keys()] };
      }
      const target = outPath(o, 'a folder (or beside the images)');
      const files = new Map(images.map((rs) => sidecar(rs[0].file_name, rs)));
      const photos = new Map(images.map(([r]) => [r.file_name, r.file_path]));
      return {
        kind: 'folder',
        target,
        files,
        images: photos,
        records,
        main: [...files.keys()].map((f) => join(target, f)),
      };
    }
    case 'preferences':
    case 'preferences-trl': {
      // pairs with their images under images/, named relative to the folder the JSONL is in
      const target = outPath(o, 'a folder');
      const images = new Map<string, string>();
      // from ratings (a higher score or a best pick), then from pairwise verdicts
      const verdicts = pairwisePairs(db, o);
      const all = [...preferencePairs(db, rows), ...verdicts.pairs];
      const pairs = all.map(({ chosen, rejected, ...p }) => {
        const image = `images/${chosen.file_name}`;
        images.set(image, chosen.file_path);
        const about = {
          image_hash: chosen.image_hash,
          rater: p.rater,
          session: p.session,
          chosen_rating: p.chosenRating,
          rejected_rating: p.rejectedRating,
          chosen_best: p.chosenBest,
          ...(p.verdict ? { verdict: p.verdict } : {}),
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
      const main = [join(target, 'preferences.jsonl')];
      return { kind: 'folder', target, files, images, records, main, note: pairwiseNote(verdicts) };
    }
  }
}
