/**
 * Public models from the command line, as a user runs it: a real child process, a Hugging Face
 * cache in the standard layout, a Hub on loopback. Offline captioning with ORG/NAME, the model
 * list, pulling with progress, and the note printed when the built-in model captions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../db/open.ts';
import { FIXTURES, fixtureReference } from '../../test/fixtures/bundles.ts';
import { startHub, writeHfCache } from '../../test/fixtures/hub.ts';
import { tempDir, writeGoodImages } from '../../test/fixtures/images.ts';
import { florenceFiles, int8Kernel, OrtReference } from '../../test/fixtures/ort-reference.ts';
import { type RefHyp, referenceBeams, settingsOf } from '../../test/fixtures/reference-search.ts';
import { PreprocessorConfig, preprocessImage } from '../core/inference/preprocess.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
const REPO = 'Xenova/vit-gpt2-image-captioning';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let folder: string;
beforeAll(async () => {
  folder = tempDir('cs-models-lib-');
  await writeGoodImages(folder, 3);
});

describe('models from the Hugging Face cache, offline', () => {
  for (const layout of ['quantized-only', 'onnx-folder']) {
    it(`captions with --model ORG/NAME from a cache holding ${layout}`, () => {
      const cache = tempDir('cs-hf-');
      const snapshot = writeHfCache(cache, REPO, join(FIXTURES, layout));
      const env = { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' };
      const data = tempDir('cs-models-data-');
      const r = cli(['caption', folder, '--data-dir', data, '--model', REPO, '--beams', '2'], env);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const dtype = layout === 'quantized-only' ? 'q8' : 'fp32';
      expect(r.out).toContain(`Model ${REPO} (${dtype}) on cpu`);
      expect(r.out).not.toMatch(/built-in model/);
      expect(r.out).toMatch(/Done: 3 captioned/);
      const list = cli(['models', 'list', '--data-dir', data], env);
      const row = list.out.split('\n').find((l) => l.startsWith(REPO))!;
      expect(row).toMatch(
        new RegExp(`^${REPO}\\s+vit\\+gpt2\\s+${dtype}\\s+merged\\s+\\d+\\.\\d MB\\s+${snapshot}`),
      );
      expect(list.out).toMatch(/^default\s+captioner-v1\s+fp32\s+merged\s+[\d.]+ MB\s+synthetic-scenes/m);
      const json = JSON.parse(cli(['models', 'list', '--data-dir', data, '--json'], env).out);
      expect(json.find((m: { ref: string }) => m.ref === REPO)).toMatchObject({
        kind: 'hub',
        dtypes: [dtype],
        decoder: 'merged',
      });
    });
  }

  it('a model that is not in the cache is an error naming the pull command', () => {
    const r = cli(['caption', folder, '--data-dir', tempDir('cs-m-'), '--model', 'someone/else'], {
      HF_HUB_CACHE: tempDir('cs-hf-'),
      HF_HUB_OFFLINE: '1',
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /someone\/else is not in the Hugging Face cache .*: caption-studio models pull someone\/else/,
    );
  });

  it('the built-in model says what it cannot do', () => {
    const r = cli(['caption', folder, '--data-dir', tempDir('cs-m-')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `Note: the built-in model only describes synthetic test scenes; for photos run: caption-studio models pull ${REPO}`,
    );
  });
});

describe('models pull', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  beforeAll(async () => {
    hub = await startHub({
      [REPO]: { dir: join(FIXTURES, 'quantized-only') },
      'org/gated': { dir: join(FIXTURES, 'quantized-only'), gatedToken: 'hf_x' },
    });
  });
  afterAll(() => hub?.close());

  it('shows the size first, then a progress bar, and leaves a model the caption command finds', async () => {
    const cache = tempDir('cs-hf-');
    const env = { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url };
    // spawned (not spawnSync): the loopback hub answers from this process
    const r = await new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const child = spawn(process.execPath, [BIN, 'models', 'pull', REPO, '--data-dir', tempDir('cs-m-')], {
        env: { ...process.env, ...env },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code) => res({ code, out, err }));
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^Pulling ${REPO}@main \\(q8\\): \\d+ files, [\\d.]+ MB to download into ${cache}`),
    );
    expect(r.out).toMatch(/\[#{24}\] [\d.]+\/[\d.]+ MB 100%\s+[\d.]+ MB\/s\s+ETA 0:00/);
    expect(lines.at(-1)).toBe(`Done: caption with --model ${REPO}`);
    const cap = cli(['caption', folder, '--data-dir', tempDir('cs-m-'), '--model', REPO], {
      ...env,
      HF_HUB_OFFLINE: '1',
    });
    expect(cap.out).toMatch(/Done: 3 captioned/);
  });

  it('a gated repository without a token, and a missing variant, are clear errors', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((res) => {
        const child = spawn(
          process.execPath,
          [BIN, 'models', 'pull', ...args, '--data-dir', tempDir('cs-m-')],
          {
            env: { ...process.env, HF_HUB_CACHE: tempDir('cs-hf-'), HF_ENDPOINT: hub.url },
          },
        );
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('exit', (code) => res({ code, err }));
      });
    const gated = await run(['org/gated']);
    expect(gated.code).toBe(1);
    expect(gated.err).toMatch(/org\/gated is gated or private: set HF_TOKEN/);
    const variant = await run([REPO, '--dtype', 'q4']);
    expect(variant.code).toBe(2);
    expect(variant.err).toMatch(/--dtype: no q4 ONNX files in this repository \(variants: q8\)/);
  });
});

describe('Florence-2 from the Hugging Face cache', () => {
  const FLORENCE = 'onnx-community/Florence-2-base-ft';
  const ref = fixtureReference().florence;
  let cache: string;
  let photos: string;
  // q8: against the independent ONNX Runtime driver of the same files (florence.test.ts says why
  // not the PyTorch emulation), run as the CLI runs them: one image per batch (int8 scales span
  // every row of a call), every core (intra-op threads 0; the result does not depend on them)
  let q8: RefHyp[];
  async function q8Reference(): Promise<RefHyp[]> {
    const dir = join(FIXTURES, 'florence-repo');
    const driver = await OrtReference.open(dir, florenceFiles('_quantized'), 0);
    const pre = PreprocessorConfig.parse(
      JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8')),
    );
    const prompt = driver.promptIds('<MORE_DETAILED_CAPTION>');
    const { d, sp } = settingsOf(ref.generation);
    const out: RefHyp[] = [];
    for (const f of ref.images) {
      const file = join(FIXTURES, 'florence-images', f);
      const { pixels } = await preprocessImage(file, readFileSync(file), pre);
      out.push((await referenceBeams(driver.decoding(await driver.encode(pixels, 768, prompt)), d, sp))[0]);
    }
    await driver.release();
    return out;
  }

  beforeAll(async () => {
    q8 = await q8Reference();
    cache = tempDir('cs-hf-florence-');
    writeHfCache(cache, FLORENCE, join(FIXTURES, 'florence-repo'));
    photos = tempDir('cs-florence-lib-');
    for (const f of ref.images) copyFileSync(join(FIXTURES, 'florence-images', f), join(photos, f));
  });

  for (const [dtype, family, extra] of [
    ['fp32', 'florence', []],
    ['q8', 'florence-int8', ['--batch-size', '1']],
    ['fp16', 'florence-fp16', []],
  ] as const) {
    const against =
      dtype === 'q8' ? `the ONNX Runtime reference (int8 kernel: ${int8Kernel()})` : 'the PyTorch reference';
    it(`--task more-detailed --dtype ${dtype}: the model's own 3-beam search equals ${against}`, () => {
      const data = tempDir('cs-florence-data-');
      const args = ['caption', photos, '--data-dir', data, '--model', FLORENCE, '--task', 'more-detailed'];
      const r = cli([...args, '--dtype', dtype, ...extra], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
      expect(r.err).toBe('');
      expect(r.out).toContain(`Model ${FLORENCE} (${dtype}) on cpu`);
      expect(r.out).toMatch(new RegExp(`Done: ${ref.images.length} captioned`));
      const db = new Database(databasePath(data), { readonly: true });
      const rows = db
        .prepare(
          `SELECT f.path, c.text, c.token_ids, c.score, dc.json FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id
           JOIN files f ON f.image_id = r.image_id JOIN decoding_configs dc ON dc.id = r.config_id ORDER BY f.path`,
        )
        .all() as { path: string; text: string; token_ids: string; score: number; json: string }[];
      db.close();
      expect(rows).toHaveLength(ref.images.length); // num_return_sequences 1: the model's default
      for (const row of rows) {
        expect(JSON.parse(row.json)).toMatchObject({
          task: 'more-detailed',
          num_beams: 3,
          no_repeat_ngram_size: 3,
        });
        const i = ref.images.indexOf(basename(row.path));
        if (dtype === 'q8') {
          // same files, runtime, CPU and rows per call: the same bits (measured difference 0)
          expect(JSON.parse(row.token_ids)).toEqual(q8[i].tokens);
          expect(row.score).toBe(q8[i].score);
          continue;
        }
        const best = ref.families[family].tasks['more-detailed'].beam3[i][0];
        expect(JSON.parse(row.token_ids)).toEqual(best.tokens);
        expect(row.text).toBe(best.text);
        // fp32 summation order, PyTorch's vs MLAS's (see florence.test.ts: measured at most 2.0e-6)
        expect(Math.abs(row.score - best.score)).toBeLessThan(1e-4);
      }
    });
  }

  it('a task for a model without tasks is a field error naming the flag', () => {
    const r = cli(['caption', photos, '--data-dir', tempDir('cs-m-'), '--task', 'detailed']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--task: this model takes no task prompt/);
  });
});
