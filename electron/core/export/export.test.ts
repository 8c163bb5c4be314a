import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../../db/open.ts';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { EXPORT_FORMATS as FORMATS } from '../api/contract.ts';
import { importReferences } from '../eval/references.ts';
import { evaluationSummary } from '../eval/summary.ts';
import type { Studio } from '../studio.ts';
import { exportDataset } from './export.ts';
import { type ExportRow, exportRows } from './select.ts';

/** The tests below were written for rated captions (the policy before there was a choice). */
const RATED = { policy: 'rated' } as const;

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** An independent RFC 4180 reader (not the writer's code). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

let studio: Studio;
let db: DB;
let folder: string;
let rows: ExportRow[];

beforeAll(async () => {
  studio = openTestStudio();
  db = studio.db;
  folder = tempDir('cs-export-lib-');
  const files = await writeGoodImages(folder, 6);
  const root = await call(studio, 'library.addRoot', { path: folder });
  for (const d of [{}, { num_beams: 3 }]) await captionRoot(studio, root.id, d);
  // a human edit with a comma and a quote, to exercise CSV quoting; it joins the session as a source
  const firstCandidate = db.prepare('SELECT id FROM caption_candidates ORDER BY id LIMIT 1').get() as {
    id: number;
  };
  await call(studio, 'candidate.edit', { candidateId: firstCandidate.id, text: 'a "quoted", caption' });
  const session = await call(studio, 'sessions.create', {
    name: 's',
    rootId: root.id,
    blind: true,
    limit: 100,
  });
  for (const [rater, base] of [
    ['ada', 5],
    ['bob', 4],
  ] as const) {
    for (let pos = 0; pos < session.items; pos++) {
      const item = await call(studio, 'sessions.item', { sessionId: session.id, rater, position: pos });
      for (const [i, c] of item.candidates.entries()) {
        await call(studio, 'ratings.set', {
          sessionId: session.id,
          rater,
          candidateId: c.id,
          value: Math.max(1, base - i - (pos % 2)),
        });
      }
      await call(studio, 'ratings.set', {
        sessionId: session.id,
        rater,
        candidateId: item.candidates[0].id,
        best: true,
      });
    }
  }
  writeFileSync(
    join(folder, 'refs.tsv'),
    files.map((f) => `${basename(f)}\ta large red circle\n${basename(f)}\ttwo small shapes`).join('\n'),
  );
  await importReferences(db, join(folder, 'refs.tsv'));
  rows = exportRows(db, RATED);
});
afterAll(() => studio?.close());

describe('exports', () => {
  it('rows carry provenance', () => {
    expect(rows.length).toBe(13); // 6 images x 2 rated candidates, and the human edit
    for (const r of rows) {
      expect(r.image_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.model_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.model_dtype).toBe('fp32');
      expect(r.model_source).toMatch(/models\/default$/);
      expect(JSON.parse(r.decoding_config)).toHaveProperty('num_beams');
      expect(r.raters).toEqual(['ada', 'bob']);
      expect(r.rated_at).toBeTruthy();
    }
    expect(exportRows(db, { ...RATED, minRating: 4 }).every((r) => r.mean_rating! >= 4)).toBe(true);
    expect(exportRows(db, { ...RATED, raters: ['bob'] }).every((r) => r.raters.join() === 'bob')).toBe(true);
    const splits = ['train', 'val', 'test'].map(
      (s) => exportRows(db, { ...RATED, split: s as 'train' }).length,
    );
    expect(splits.reduce((a, b) => a + b)).toBe(rows.length);
  });

  it('every format round-trips through an independent reader, and twice gives identical bytes', async () => {
    const out = tempDir('cs-export-out-');
    const key = (r: { caption?: string; text?: string; image_hash: string }) =>
      `${r.image_hash}|${r.caption ?? r.text}`;
    const expected = rows.map((r) => key(r)).sort();

    await exportDataset(db, { ...RATED, format: 'coco', out: join(out, 'coco.json') });
    const coco = JSON.parse(readFileSync(join(out, 'coco.json'), 'utf8'));
    const hashOf = new Map(coco.images.map((i: { id: number; image_hash: string }) => [i.id, i.image_hash]));
    expect(
      coco.annotations
        .map((a: { image_id: number; caption: string }) => `${hashOf.get(a.image_id)}|${a.caption}`)
        .sort(),
    ).toEqual(expected);

    // coco-results holds one caption per image: a policy that selects several is refused, naming it
    await expect(
      exportDataset(db, { ...RATED, format: 'coco-results', out: join(out, 'results.json') }),
    ).rejects.toMatchObject({
      field: 'policy',
      message: expect.stringMatching(
        /^export coco-results: one caption per image .* policy 'rated' selects \d+ for /,
      ),
    });
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    await exportDataset(db, { policy: 'best', format: 'coco-results', out: join(out, 'results.json') });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results).toHaveLength(6);
    expect(Object.keys(results[0]).sort()).toEqual(['caption', 'image_id']);

    await exportDataset(db, { ...RATED, format: 'csv', out: join(out, 'data.csv') });
    const [header, ...body] = parseCsv(readFileSync(join(out, 'data.csv'), 'utf8'));
    const col = (n: string) => header.indexOf(n);
    expect(body.map((r) => `${r[col('image_hash')]}|${r[col('caption')]}`).sort()).toEqual(expected);
    expect(body.some((r) => r[col('caption')] === 'a "quoted", caption')).toBe(true);

    await exportDataset(db, { ...RATED, format: 'imagefolder', out: join(out, 'hf') });
    const meta = readJsonl(join(out, 'hf', 'metadata.jsonl'));
    // one row per image; a policy that selects several captions lists them all
    expect(meta).toHaveLength(6);
    expect(
      meta
        .flatMap((m) => m.captions.map((c: { text: string }) => key({ ...c, image_hash: m.image_hash })))
        .sort(),
    ).toEqual(expected);
    for (const m of meta) {
      expect(m.captions.map((c: { text: string }) => c.text)).toContain(m.text);
      expect(m.file_name).toBe(`${m.split}/${m.original_file}`);
      expect(
        readFileSync(join(out, 'hf', m.file_name)).equals(readFileSync(join(folder, m.original_file))),
      ).toBe(true);
    }

    for (const format of ['preferences', 'preferences-trl'] as const) {
      await exportDataset(db, { ...RATED, format, out: join(out, format) });
      const prefs = readJsonl(join(out, format, 'preferences.jsonl'));
      expect(prefs.length).toBeGreaterThan(0);
      for (const p of prefs) {
        // the images resolve from the folder the JSONL is in
        expect(p.images).toHaveLength(1);
        expect(existsSync(join(out, format, p.images[0]))).toBe(true);
        const [chosen, rejected] =
          format === 'preferences'
            ? [p.chosen, p.rejected]
            : [p.chosen[0].content[0].text, p.rejected[0].content[0].text];
        expect(chosen).not.toBe(rejected);
        if (p.chosen_rating !== null && p.rejected_rating !== null && !p.chosen_best)
          expect(p.chosen_rating).toBeGreaterThan(p.rejected_rating);
        if (format === 'preferences-trl') {
          // TRL's conversational vision format: an image placeholder in the user's turn
          expect(p.prompt).toEqual([
            { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe the image.' }] },
          ]);
          expect(p.chosen[0].role).toBe('assistant');
        }
      }
    }

    // exporting again: byte-identical
    for (const [format, file] of [
      ['coco', 'coco.json'],
      ['csv', 'data.csv'],
      ['coco-results', 'results.json'],
    ] as const) {
      const before = readFileSync(join(out, file));
      const policy = format === 'coco-results' ? 'best' : 'rated';
      await exportDataset(db, { policy, format, out: join(out, file), overwrite: true });
      expect(readFileSync(join(out, file)).equals(before), file).toBe(true);
    }
    const metaBefore = readFileSync(join(out, 'hf', 'metadata.jsonl'));
    await exportDataset(db, { ...RATED, format: 'imagefolder', out: join(out, 'hf'), overwrite: true });
    expect(readFileSync(join(out, 'hf', 'metadata.jsonl')).equals(metaBefore)).toBe(true);
    const prefsBefore = readFileSync(join(out, 'preferences', 'preferences.jsonl'));
    await exportDataset(db, {
      ...RATED,
      format: 'preferences',
      out: join(out, 'preferences'),
      overwrite: true,
    });
    expect(readFileSync(join(out, 'preferences', 'preferences.jsonl')).equals(prefsBefore)).toBe(true);
    expect(FORMATS).toHaveLength(7);
    // through the API as well: values checked at the boundary, the file written by the handler
    await expect(call(studio, 'export.run', { format: 'yaml' as 'csv' })).rejects.toMatchObject({
      status: 400,
      field: 'format',
    });
    const csv = join(tempDir('cs-export-api-'), 'rated.csv');
    expect(
      await call(studio, 'export.run', { format: 'csv', out: csv, minRating: 4, policy: 'rated' }),
    ).toEqual({
      format: 'csv',
      rows: exportRows(db, { ...RATED, minRating: 4 }).length,
      written: [csv],
    });
  });

  it('never overwrites without --overwrite, and a failed export leaves no partial file', async () => {
    const out = tempDir('cs-export-fail-');
    writeFileSync(join(out, 'taken.csv'), 'mine');
    await expect(exportDataset(db, { ...RATED, format: 'csv', out: join(out, 'taken.csv') })).rejects.toThrow(
      /taken\.csv: exists/,
    );
    expect(readFileSync(join(out, 'taken.csv'), 'utf8')).toBe('mine');
    // the target's folder is a file: the write fails, nothing is left behind
    writeFileSync(join(out, 'blocker'), 'x');
    await expect(
      exportDataset(db, { ...RATED, format: 'coco', out: join(out, 'blocker', 'coco.json') }),
    ).rejects.toThrow();
    await expect(
      exportDataset(db, { ...RATED, format: 'imagefolder', out: join(out, 'blocker', 'hf') }),
    ).rejects.toThrow();
    expect(readdirSync(out).sort()).toEqual(['blocker', 'taken.csv']);
  });

  it('.txt sidecars next to the images when asked; overwrite replaces only unchanged ones an export wrote', async () => {
    const beside = { ...RATED, format: 'sidecars', beside: true } as const;
    await expect(exportDataset(db, { ...RATED, format: 'sidecars' })).rejects.toThrow(
      /a folder \(or beside the images\)/,
    );
    const r = await exportDataset(db, beside);
    // every caption the policy selected, one per line: as many rows as rated captions, not one per image
    expect(rows.length).toBeGreaterThan(6);
    expect(r.rows).toBe(rows.length);
    expect(r.written).toHaveLength(6);
    const lines = r.written.flatMap((f) => {
      expect(f.startsWith(folder)).toBe(true);
      return readFileSync(f, 'utf8').trimEnd().split('\n');
    });
    expect(lines.sort()).toEqual(rows.map((x) => x.caption).sort());
    await expect(exportDataset(db, beside)).rejects.toThrow(/exists \(use overwrite/);
    expect((await exportDataset(db, { ...beside, overwrite: true })).rows).toBe(rows.length);
    writeFileSync(r.written[0], 'hand written\n');
    await expect(exportDataset(db, { ...beside, overwrite: true })).rejects.toThrow(
      /was not written by an export \(or was changed since\)/,
    );
    expect(readFileSync(r.written[0], 'utf8')).toBe('hand written\n');
  });

  it('overwrite never replaces a file or folder an export did not write', async () => {
    const out = tempDir('cs-export-theirs-');
    mkdirSync(join(out, 'photos'));
    writeFileSync(join(out, 'photos', 'keep.jpg'), 'precious');
    writeFileSync(join(out, 'notes.csv'), 'mine');
    await expect(
      exportDataset(db, { ...RATED, format: 'imagefolder', out: join(out, 'photos'), overwrite: true }),
    ).rejects.toThrow(/not a folder an export made/);
    await expect(
      exportDataset(db, { ...RATED, format: 'csv', out: join(out, 'notes.csv'), overwrite: true }),
    ).rejects.toThrow(/not written by an export/);
    expect(readFileSync(join(out, 'photos', 'keep.jpg'), 'utf8')).toBe('precious');
    expect(readFileSync(join(out, 'notes.csv'), 'utf8')).toBe('mine');
    expect(readdirSync(out).sort()).toEqual(['notes.csv', 'photos']);
  });
});

describe('evaluation summary', () => {
  it('scores each model/config against references and summarises the ratings', () => {
    const s = evaluationSummary(db);
    const models = s.rows.filter((r) => r.decoding !== 'human');
    expect(models.map((r) => r.decoding).sort()).toEqual(['beam 3', 'greedy']);
    expect(s.rows.find((r) => r.decoding === 'human')?.ratings).toBe(2);
    for (const r of models) {
      expect(r.withReferences).toBe(6);
      expect(r.bleu4).not.toBeNull();
      expect(r.ciderD).not.toBeNull();
      expect(r.ratings).toBeGreaterThan(0);
      expect(r.ratingLo!).toBeLessThanOrEqual(r.meanRating!);
      expect(r.ratingHi!).toBeGreaterThanOrEqual(r.meanRating!);
      expect(r.ratingHistogram.reduce((a, b) => a + b)).toBe(r.ratings);
    }
    const winRates = s.rows.map((r) => r.winRate ?? 0);
    expect(Math.max(...winRates)).toBeGreaterThan(0);
    expect(s.agreement.raters).toBe(2);
    expect(s.agreement.items).toBe(13);
    expect(s.agreement.alpha).not.toBeNull();
    expect(s.scatter.length).toBeGreaterThan(0);
  });

  it('imports COCO references and reports what it could not match', async () => {
    const f = join(tempDir('cs-refs-'), 'refs.json');
    writeFileSync(
      f,
      JSON.stringify({
        images: [
          { id: 1, file_name: 'img-000.png' },
          { id: 2, file_name: 'nowhere.jpg' },
        ],
        annotations: [
          { image_id: 1, caption: 'a coco reference' },
          { image_id: 2, caption: 'lost' },
        ],
      }),
    );
    const r = await importReferences(db, f);
    expect(r).toMatchObject({ captions: 2, added: 1, matchedImages: 1, unmatched: ['nowhere.jpg'] });
    writeFileSync(f, JSON.stringify({ images: [], annotations: [{ image_id: 9, caption: 'x' }] }));
    await expect(importReferences(db, f)).rejects.toThrow(`${f}: annotations[0].image_id 9 is not in images`);
  });
});

describe('caption selection policies', () => {
  it('best: one caption per image, the highest-rated one where there are ratings', () => {
    const best = exportRows(db, {});
    const all = exportRows(db, { policy: 'all' });
    const images = new Set(all.map((r) => r.image_id));
    expect(best.map((r) => r.image_id).sort()).toEqual([...images].sort());
    for (const r of best) {
      const top = Math.max(...all.filter((a) => a.image_id === r.image_id).map((a) => a.mean_rating ?? -1));
      expect(r.mean_rating, `image ${r.image_id}`).toBe(top);
    }
    expect(exportRows(db, { policy: 'latest' }).every((r) => r.source === 'model' && r.rank === 0)).toBe(
      true,
    );
    expect(exportRows(db, { policy: 'human' }).map((r) => r.caption)).toEqual(['a "quoted", caption']);
  });
});
