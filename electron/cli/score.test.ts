/** `caption-studio score`: the real binary on a captioned folder, with the CLIP fixture as the scorer. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { databasePath } from '../../db/open.ts';
import { FIXTURES } from '../../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../../test/fixtures/images.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
const CLIP = join(FIXTURES, 'clip-repo');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('caption-studio score', () => {
  it('scores the current captions of a folder, stores them, and has nothing left to do the second time', async () => {
    const folder = tempDir('cs-cli-score-');
    const data = tempDir('cs-cli-score-data-');
    await writeGoodImages(folder, 3);
    expect(cli(['caption', folder, '--data-dir', data, '--quiet']).code).toBe(0);
    writeFileSync(join(folder, 'refs.tsv'), 'img-000.png\ta red circle\n');
    expect(cli(['import-refs', join(folder, 'refs.tsv'), '--data-dir', data]).code).toBe(0);

    const first = cli(['score', folder, '--scorer', CLIP, '--refs', '--data-dir', data]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /^Scored 3 captions of 3 images with clip-repo \(fp32\): mean CLIPScore \d\.\d{4}, mean RefCLIPScore \d\.\d{4}\n/,
    );
    // the per-source table: one source (the built-in model, greedy), its mean and interval, no ratings
    expect(first.out).toMatch(/\ndefault · greedy +3 +\d\.\d{3} \(\d\.\d{3}–\d\.\d{3}\) +0 +-\n/);
    const db = new Database(databasePath(data), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT clip_score, ref_clip_score, refs FROM candidate_scores ORDER BY candidate_id')
        .all() as { clip_score: number; ref_clip_score: number | null; refs: number }[];
      expect(rows).toHaveLength(3);
      expect(rows.filter((r) => r.refs === 1 && r.ref_clip_score !== null)).toHaveLength(1);
      const mean = Number(first.out.match(/mean CLIPScore (\d\.\d{4})/)![1]);
      // the printed mean is the stored scores' mean, to its 4 printed decimals
      expect(Math.abs(mean - rows.reduce((n, r) => n + r.clip_score, 0) / 3)).toBeLessThanOrEqual(5e-5);
    } finally {
      db.close();
    }
    const again = cli(['score', folder, '--clip', CLIP, '--data-dir', data]);
    expect(again.out).toMatch(/^Scored 0 captions of 0 images/);
    // eval's table: a CLIPScore column of the scorer, the same figure as score printed; no ratings, no tau-c
    const ev = cli(['eval', '--data-dir', data]);
    expect(ev.out.split('\n')[0]).toMatch(/CLIPScore clip-repo fp32 +tau-c$/);
    const shown = first.out.match(/\ndefault · greedy +3 +(\d\.\d{3} \(\d\.\d{3})/)![1];
    expect(ev.out).toMatch(
      new RegExp(`\\ndefault · greedy .*  ${shown.replace('(', '\\(')}-\\d\\.\\d{3}\\) +-\\n`),
    );
  });

  it('names what is missing or wrong', () => {
    const data = tempDir('cs-cli-score-bad-');
    const none = cli(['score', '--data-dir', data]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/score needs --scorer MODEL/);
    const folder = tempDir('cs-cli-score-nolib-');
    const notLib = cli(['score', folder, '--scorer', CLIP, '--data-dir', data]);
    expect(notLib.code).toBe(1);
    expect(notLib.err).toMatch(/not a library folder; caption it first/);
    const badDtype = cli(['score', '--scorer', CLIP, '--dtype', 'q9', '--data-dir', data]);
    expect(badDtype.code).toBe(2); // a bad flag is a usage error, before anything opens
    expect(badDtype.err).toMatch(/--dtype/);
  });
});
