/**
 * The `caption-studio` command as users run it: a real child process, a real database file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../db/open.ts';
import { tempDir, writeBrokenImages, writeGoodImages } from '../../test/fixtures/images.ts';
import { committedRuns } from '../../test/fixtures/runs.ts';
import { electronBinary } from '../shell/electron-binary.mjs';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
const GOLDEN = resolve(import.meta.dirname, '../core/eval/testdata/coco-caption-metrics.json');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let folder: string;
let broken: Record<string, string>;
beforeAll(async () => {
  folder = tempDir('cs-cli-lib-');
  await writeGoodImages(folder, 45);
  broken = writeBrokenImages(folder);
});

describe('usage', () => {
  it('--help works for every command, showing its own options', () => {
    for (const command of [
      'caption',
      'models',
      'status',
      'serve',
      'invite',
      'import-refs',
      'eval',
      'edit',
      'export',
      'metrics',
    ]) {
      const r = cli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.out).toMatch(
        new RegExp(`^Usage: caption-studio ${command} \\[options\\]\\n\\n  ${command}\\b`),
      );
      expect(r.out).toContain('--data-dir DIR');
    }
    expect(cli(['caption', '--help']).out).toContain('--beams N');
  });

  it('a bad decoding flag is one line naming it, before anything is scanned; negative numbers are values', () => {
    const data = tempDir('cs-cli-usage-');
    const r = cli(['caption', folder, '--data-dir', data, '--beams', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'caption-studio: --beams: Too small: expected number to be >=1 (see caption-studio caption --help)\n',
    );
    expect(existsSync(databasePath(data))).toBe(false);
    const neg = cli(['caption', '/no/such/folder', '--data-dir', data, '--length-penalty', '-3']);
    expect(neg.err).toBe('caption-studio: /no/such/folder: not a folder\n'); // past the flags
  });
});

describe('caption-studio caption', () => {
  it('captions 45 good images of 50, lists the 5 bad ones with reasons; a second run does no new work', () => {
    const data = tempDir('cs-cli-data-');
    const first = cli(['caption', folder, '--data-dir', data, '--beams', '3', '--num-return', '3']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Scanned .*: 50 images \(50 new/);
    expect(first.out).toMatch(
      /Done: 45 captioned, 0 already captioned, 5 new errors; 5 files cannot be read:/,
    );
    for (const f of Object.values(broken)) expect(first.out).toContain(f);
    expect(first.out).toMatch(/broken-empty\.jpg: empty file \(0 bytes\)/);
    expect(first.out).toMatch(/broken-text\.png: not an image/);

    const db = new Database(databasePath(data), { readonly: true });
    const texts = db
      .prepare("SELECT text FROM caption_candidates WHERE rank = 0 AND source = 'model'")
      .all() as {
      text: string;
    }[];
    expect(texts).toHaveLength(45);
    for (const t of texts) expect(t.text).toMatch(/^[a-z]+( [a-z]+)+$/);
    db.close();

    const second = cli(['caption', folder, '--data-dir', data, '--beams', '3', '--num-return', '3']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/50 images \(0 new, 0 changed, 0 gone\)/);
    expect(second.out).toMatch(
      /Done: 0 captioned, 45 already captioned, 0 new errors; 5 files cannot be read/,
    );

    const status = cli(['status', '--data-dir', data]);
    // tables: a row per folder, a row per model and decoding
    expect(status.out).toMatch(/^folder\s+images\s+not yet read\s+errors\s+missing$/m);
    expect(status.out).toContain(`${folder}  45      0             5       0\n`);
    expect(status.out).toMatch(/^captions\s+model\s+decoding\n45\s+default\s+beam 3$/m);
    // both jobs ran to the end: history, not something to resume
    expect(status.out).toContain(
      `\nFinished jobs:\n  job 2 on ${folder} (done): 45 of 50 images\n  job 1 on ${folder} (done): 45 of 50 images\n`,
    );
    expect(status.out).not.toMatch(/unfinished|resume/i);
  });

  it('survives SIGKILL at several points: every image ends with exactly one run, nothing committed is lost', async () => {
    const data = tempDir('cs-cli-kill-');
    const dbFile = databasePath(data);
    const args = [
      BIN,
      'caption',
      folder,
      '--data-dir',
      data,
      '--beams',
      '4',
      '--num-return',
      '2',
      '--batch-size',
      '2',
      '--threads',
      '1',
      '--quiet',
    ];
    const runsNow = () => committedRuns(dbFile);
    const killAt = async (threshold: number) => {
      const child: ChildProcess = spawn(process.execPath, args, { stdio: 'ignore' });
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      for (;;) {
        if (runsNow() >= threshold) {
          child.kill('SIGKILL');
          break;
        }
        const finished = await Promise.race([
          exited.then(() => true),
          new Promise((r) => setTimeout(() => r(false), 5)),
        ]);
        if (finished) break;
      }
      await exited;
      return runsNow();
    };

    const ratings: { candidate: number; value: number }[] = [];
    const points = [3, 14, 30];
    let previous = 0;
    for (const point of points) {
      const after = await killAt(point);
      expect(after, `killed after ${point}`).toBeGreaterThanOrEqual(previous);
      expect(after, 'the kill landed before the batch finished').toBeLessThan(45);
      previous = after;
      // a rater works between crashes: their ratings must survive the next runs
      const db = new Database(dbFile);
      db.prepare("INSERT OR IGNORE INTO raters (name) VALUES ('ada')").run();
      db.prepare(
        "INSERT OR IGNORE INTO rating_sessions (id, name, config) VALUES (1, 'crash test', '{}')",
      ).run();
      const c = db
        .prepare(
          `SELECT c.id, r.image_id FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id
           WHERE c.id NOT IN (SELECT candidate_id FROM ratings) ORDER BY c.id DESC LIMIT 1`,
        )
        .get() as { id: number; image_id: number };
      const value = 1 + (ratings.length % 5);
      db.prepare(
        "INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq) VALUES (1, 1, ?, 'score', ?, ?, ?)",
      ).run(c.image_id, c.id, value, ratings.length + 1);
      ratings.push({ candidate: c.id, value });
      db.close();
    }
    const last = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
    expect(last.status).toBe(0);

    const db = new Database(dbFile, { readonly: true });
    const perImage = db
      .prepare('SELECT image_id, count(*) AS n FROM caption_runs GROUP BY image_id, model_id, config_id')
      .all() as { n: number }[];
    expect(perImage).toHaveLength(45);
    expect(perImage.every((r) => r.n === 1)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM caption_candidates').get()).toEqual({ n: 90 });
    expect(db.prepare("SELECT count(*) AS n FROM files WHERE status = 'error'").get()).toEqual({ n: 5 });
    for (const r of ratings) {
      expect(db.prepare('SELECT value FROM ratings WHERE candidate_id = ?').get(r.candidate)).toEqual({
        value: r.value,
      });
      expect(
        db.prepare('SELECT count(*) AS n FROM caption_candidates WHERE id = ?').get(r.candidate),
      ).toEqual({ n: 1 });
    }
    expect(db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'done'").get()).toEqual({ n: 1 });
    db.close();
  }, 240_000);

  it('bad arguments and bad bundles give clear errors', () => {
    const data = tempDir('cs-cli-bad-');
    const r = cli(['caption', folder, '--data-dir', data, '--beams', 'two']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--beams: expected a whole number, got 'two'/);
    const m = cli(['caption', folder, '--data-dir', data, '--model', join(data, 'nope')]);
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/nope: model bundle folder not found/);
  });
});

describe('caption-studio import-refs, eval and export', () => {
  it('prints the per-model table for a library with references, and exports what was rated', () => {
    const data = tempDir('cs-cli-eval-');
    expect(cli(['caption', folder, '--data-dir', data]).code).toBe(0);
    expect(cli(['caption', folder, '--data-dir', data, '--beams', '3']).code).toBe(0);
    const refs = join(tempDir('cs-cli-refs-'), 'refs.tsv');
    spawnSync('sh', [
      '-c',
      `for i in 000 001 002 003 004; do printf 'img-%s.png\\ta large red circle\\n' $i; done > ${refs}; printf 'zzz.png\\tx\\n' >> ${refs}`,
    ]);
    const imp = cli(['import-refs', refs, '--data-dir', data]);
    expect(imp.out).toMatch(/Imported 5 reference captions for 5 images/);
    expect(imp.out).toMatch(/Not in the library \(1\): zzz\.png/);
    const ev = cli(['eval', '--data-dir', data]);
    expect(ev.code).toBe(0);
    const lines = ev.out.split('\n');
    expect(lines[0]).toMatch(/^model \/ config\s+images\s+w\/ refs\s+BLEU-4\s+CIDEr-D\s+ROUGE-L/);
    expect(lines[1]).toMatch(/^default · beam 3\s+45\s+5\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}/);
    expect(lines[2]).toMatch(/^default · greedy\s+45\s+5\s+\d\.\d{3}/);
    const json = JSON.parse(cli(['eval', '--data-dir', data, '--json']).out);
    expect(json.rows).toHaveLength(2);
    // nothing rated yet: the rated captions are none, and the command says why; the default policy
    // exports every image's caption; an existing file is not overwritten
    const out = join(tempDir('cs-cli-exp-'), 'x.csv');
    expect(
      cli(['export', '--data-dir', data, '--format', 'csv', '--policy', 'rated', '--out', out, '--quiet'])
        .out,
    ).toBe(
      `Exported 0 rows as csv to ${out}: no caption has been rated: rate some, or export with policy 'best'\n`,
    );
    const all = join(tempDir('cs-cli-exp-'), 'all.csv');
    expect(cli(['export', '--data-dir', data, '--format', 'csv', '--out', all, '--quiet']).out).toBe(
      `Exported 45 rows as csv to ${all}\n`,
    );
    // without --quiet, a progress bar on the export's pushed progress (printed, not redrawn, off a terminal)
    const hf = join(tempDir('cs-cli-exp-'), 'hf');
    const bar = cli(['export', '--data-dir', data, '--format', 'imagefolder', '--out', hf]).out.split('\n');
    expect(bar.at(-3)).toMatch(/^\[#{24}\] 46\/46 100% {2}[\d.]+ files\/s {2}ETA 0:00 {2}[\d.]+ MB$/);
    expect(bar.at(-2)).toBe(`Exported 45 rows as imagefolder to ${join(hf, 'metadata.jsonl')}`);
    expect(cli(['export', '--data-dir', data, '--format', 'csv', '--out', out]).err).toBe(
      `caption-studio: ${out}: exists (use --overwrite to replace it)\n`,
    );
    // a usage error is one line: the flag and where the help is
    const bad = cli(['export', '--data-dir', data, '--format', 'yaml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /^caption-studio: --format: expected one of .*\(see caption-studio export --help\)\n$/,
    );
    // sidecars under --policy all: both current captions of every image (greedy and beam 3), one a
    // line, the best first; not what --policy best writes
    const sides = { best: join(tempDir('cs-cli-side-'), 'best'), all: join(tempDir('cs-cli-side-'), 'all') };
    for (const policy of ['best', 'all'] as const) {
      const args = ['export', '--data-dir', data, '--format', 'sidecars', '--policy', policy];
      expect(cli([...args, '--out', sides[policy], '--quiet']).out).toBe(
        `Exported ${policy === 'all' ? 90 : 45} rows as sidecars (45 files)\n`,
      );
    }
    for (const name of ['img-000.txt', 'img-044.txt']) {
      const best = readFileSync(join(sides.best, name), 'utf8');
      const all = readFileSync(join(sides.all, name), 'utf8').split('\n');
      expect(best.split('\n')).toHaveLength(2); // one caption and its newline
      expect(all).toHaveLength(3);
      expect(all[0]).toBe(best.trim());
      expect(all[1]).not.toBe('');
    }
    // coco-results holds one caption an image: a multi-caption policy is refused, naming the flag
    const results = cli([
      ...['export', '--data-dir', data, '--format', 'coco-results', '--policy', 'all'],
      ...['--out', join(tempDir('cs-cli-exp-'), 'r.json')],
    ]);
    expect(results.code).toBe(2);
    expect(results.err).toMatch(/^caption-studio: --policy: .*coco-results.*\n$/);
  });

  it('a missing flag is one line naming it and --help', () => {
    const data = tempDir('cs-cli-noout-');
    const r = cli(['export', '--data-dir', data, '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^caption-studio: --out: .*\(see caption-studio export --help\)\n$/);
    expect(r.out).toBe('');
    const unknown = cli(['frobnicate']);
    expect(unknown.err).toBe("caption-studio: unknown command 'frobnicate' (see caption-studio --help)\n");
  });
});

describe('npm start', () => {
  const electronInstalled = electronBinary() !== null;
  it.skipIf(electronInstalled)(
    "without Electron's binary, says so and points to serve (skipped where Electron is installed)",
    () => {
      const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '../shell/launch.mjs')], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Electron is not installed on this machine/);
      expect(r.stderr).toMatch(/npx caption-studio serve/);
    },
  );

  it('bundles every worker thread the core starts beside the desktop main process', () => {
    const r = spawnSync(
      process.execPath,
      [resolve(import.meta.dirname, '../shell/launch.mjs'), '--bundle-only'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const core = resolve(import.meta.dirname, '../core');
    const started = readdirSync(core, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => [...readFileSync(join(core, f), 'utf8').matchAll(/new URL\('\.\/([\w-]+-boot\.mjs)'/g)])
      .map((m) => m[1]);
    // the inference, scorer, edit, review, export planner and reference reader workers
    expect(new Set(started).size).toBeGreaterThanOrEqual(6);
    const dist = resolve(import.meta.dirname, '../shell/dist');
    for (const boot of started) expect(existsSync(join(dist, boot)), boot).toBe(true);
  });
});

describe('caption-studio metrics', () => {
  it('prints corpus scores of a golden-shaped file as JSON', () => {
    const r = cli(['metrics', GOLDEN]);
    expect(r.code).toBe(0);
    const scores = JSON.parse(r.out);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')).corpus;
    expect(Object.keys(scores)).toEqual(['bleu', 'cider_d', 'rouge_l']);
    // the metrics of metrics.test.ts on the same file, through JSON (float64 printed and parsed
    // exactly): the same bound, 12 digits, for float64 sums in another order than the Python's
    scores.bleu.forEach((b: number, k: number) => {
      expect(b).toBeCloseTo(golden.bleu[k], 12);
    });
    expect(scores.cider_d).toBeCloseTo(golden.cider_d, 12);
    expect(scores.rouge_l).toBeCloseTo(golden.rouge_l, 12);
  });

  it('names the file and field of bad input', () => {
    const dir = tempDir('cs-cli-m-');
    const f = join(dir, 'bad.json');
    spawnSync('sh', ['-c', `printf '{"items":[{"references":"x","hypothesis":"y"}]}' > ${f}`]);
    const r = cli(['metrics', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}: items[0].references must be an array of strings`);
  });

  it('ends quietly when the reader goes away (caption-studio … | head -1)', () => {
    const f = join(tempDir('cs-cli-pipe-'), 'many.json');
    const items = Array.from({ length: 4000 }, (_, i) => ({
      references: [`a red circle number ${i}`],
      hypothesis: `a red circle ${i}`,
    }));
    writeFileSync(f, JSON.stringify({ items }));
    const r = spawnSync('sh', ['-c', `node ${BIN} metrics ${f} --per-image | head -c 100`], {
      encoding: 'utf8',
    });
    expect(r.stdout).toHaveLength(100);
    expect(r.stderr).toBe('');
  });
});
