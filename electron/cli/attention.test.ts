/** `caption-studio attention` on a public-layout fixture (vit-gpt2 merged, no attention outputs of its own). */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference, MODELS_DIR } from '../../test/fixtures/bundles.ts';
import { tempDir } from '../../test/fixtures/images.ts';
import type { AttentionReport } from '../core/inference/graph/maps.ts';
import { main } from './main.ts';

const image = join(FIXTURES, 'images', fixtureReference().images[0]);
const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

/** A stream that keeps what is written, for `main`'s out and err. */
function collector() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  // main's parameters are typed as process.stdout and stderr
  return { stream: stream as never, text: () => chunks.join('') };
}

async function run(
  args: string[],
  model = 'merged-only',
  photo = image,
): Promise<{ code: number; out: string; dir: string }> {
  const dir = tempDir('cs-attn-cli-');
  const sink = collector();
  const code = await main(
    ['attention', photo, '--model', join(FIXTURES, model), '--out', dir, '--threads', '1', ...args],
    sink.stream,
    sink.stream,
  );
  return { code, out: sink.text(), dir };
}

describe('caption-studio attention', () => {
  let dir: string;
  let report: AttentionReport & { model: string; dtype: string };
  beforeAll(async () => {
    const r = await run([
      '--data-dir',
      tempDir('cs-attn-data-'),
      '--beams',
      '3',
      '--num-return',
      '2',
      '--raw',
    ]);
    expect(r.code, r.out).toBe(0);
    dir = r.dir;
    report = JSON.parse(readFileSync(join(dir, 'attention.json'), 'utf8'));
  });

  it('writes per-step and per-word maps over the 14x14 patch grid, each summing to 1', () => {
    expect(report.grid).toEqual([14, 14]);
    expect(report.dtype).toBe('fp32');
    expect(report.candidates).toHaveLength(2);
    for (const c of report.candidates) {
      expect(c.steps.map((s) => s.token)).toEqual(c.tokens);
      // float32 probabilities renormalised in float64: 1e-6 covers the float32 rounding of 196 terms
      for (const s of [...c.steps, ...c.words]) {
        expect(s.cells).toHaveLength(196);
        expect(sum(s.cells)).toBeCloseTo(1, 6);
      }
      // words cover every non-special piece once, in order, and spell the caption
      expect(c.words.flatMap((w) => w.steps)).toEqual(c.steps.flatMap((s, i) => (s.piece ? [i] : [])));
      expect(c.words.map((w) => w.text).join(' ')).toBe(c.text.trim());
    }
  });

  it('the CLS share is reported beside the map; vit-gpt2 has no prompt positions', () => {
    for (const c of report.candidates)
      for (const s of [...c.steps, ...c.words]) {
        expect(s.share.prompt).toBe(0);
        expect(s.share.lead).toBeGreaterThan(0);
        expect(s.share.lead).toBeLessThan(1);
      }
  });

  it('--raw: every layer and head is a distribution over every encoder position, whose last layer is the map', () => {
    for (const c of report.candidates) {
      for (const s of c.steps) {
        const layers = s.layers!;
        expect(layers.length).toBeGreaterThan(0);
        for (const heads of layers)
          for (const p of heads) {
            expect(p).toHaveLength(197); // CLS + 14x14
            // a float32 Softmax over 197 positions: its sum is 1 within float32 rounding (~197 * 6e-8)
            expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-5);
          }
        // the map is the last layer's mean over heads, image cells (after CLS) renormalised
        const last = layers[layers.length - 1];
        const mean = last[0].map((_, k) => sum(last.map((h) => h[k])) / last.length).slice(1);
        const total = sum(mean);
        // the map is reduced from these same float32 values in float64 (a float32 mean here): 1e-6
        // (that the fed-back pass equals the search's own maps is checked in attention-lease.test.ts)
        mean.forEach((v, k) => {
          expect(Math.abs(v / total - s.cells[k])).toBeLessThan(1e-6);
        });
      }
    }
  });

  it('draws one overlay PNG per word per candidate, at the photo size; different words differ', async () => {
    const pngs = readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort();
    expect(pngs).toHaveLength(sum(report.candidates.map((c) => c.words.length)));
    const meta = await sharp(image).metadata();
    const [a, b] = await Promise.all(
      pngs.slice(0, 2).map((f) => sharp(join(dir, f)).raw().toBuffer({ resolveWithObject: true })),
    );
    expect([a.info.width, a.info.height]).toEqual([meta.width, meta.height]);
    expect(a.data.equals(b.data)).toBe(false);
  });

  it('--layer mean --head 0: the mean over layers of head 0; an index past the last layer is a usage error', async () => {
    const r = await run(['--data-dir', tempDir('cs-attn-data-'), '--raw', '--layer', 'mean', '--head', '0']);
    expect(r.code, r.out).toBe(0);
    const rep: AttentionReport = JSON.parse(readFileSync(join(r.dir, 'attention.json'), 'utf8'));
    for (const s of rep.candidates[0].steps) {
      const layers = s.layers!;
      const mean = layers[0][0]
        .map((_, k) => sum(layers.map((heads) => heads[0][k])) / layers.length)
        .slice(1);
      const total = sum(mean);
      // the same float32 values averaged in float64 either way: 1e-9
      mean.forEach((v, k) => {
        expect(Math.abs(v / total - s.cells[k])).toBeLessThan(1e-9);
      });
    }
    const bad = await run(['--data-dir', tempDir('cs-attn-data-'), '--layer', '7']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--layer 7: the model has \d+/);
  });

  it('without --raw the steps carry no layers; a missing --out is a usage error naming it', async () => {
    const r = await run(['--data-dir', tempDir('cs-attn-data-')]);
    expect(r.code, r.out).toBe(0);
    const plain: AttentionReport = JSON.parse(readFileSync(join(r.dir, 'attention.json'), 'utf8'));
    expect(plain.candidates).toHaveLength(1);
    expect(plain.candidates[0].steps.every((s) => s.layers === undefined)).toBe(true);
    const [bad, err] = [collector(), collector()];
    expect(
      await main(['attention', image, '--model', join(FIXTURES, 'merged-only')], bad.stream, err.stream),
    ).toBe(2);
    expect(err.text()).toContain('--out');
  });
});

describe('caption-studio attention on the Florence-2 fixture (image tokens + task prompt)', () => {
  const ref = fixtureReference().florence;
  const photo = join(FIXTURES, 'florence-images', ref.images[0]);

  it("gives PyTorch's cross-attention (every layer, head, step), a 24x24 map and the prompt's share", async () => {
    const r = await run(['--data-dir', tempDir('cs-attn-data-'), '--raw'], 'florence-repo', photo);
    expect(r.code, r.out).toBe(0);
    const rep: AttentionReport = JSON.parse(readFileSync(join(r.dir, 'attention.json'), 'utf8'));
    expect(rep.grid).toEqual([24, 24]);
    const [c] = rep.candidates;
    for (const s of [...c.steps, ...c.words]) {
      expect(sum(s.cells)).toBeCloseTo(1, 6); // as above: float32 terms renormalised
      expect(s.share.prompt).toBeGreaterThan(0);
      expect(s.share.lead + s.share.prompt).toBeLessThan(1);
    }
    const start = ref.generation.decoder_start_token_id as number;
    const py = spawnSync('/usr/bin/python3', ['-m', 'captioner.export.attention_reference', 'florence'], {
      cwd: MODELS_DIR,
      input: JSON.stringify([{ image: photo, tokens: [start, ...c.tokens.slice(0, -1)] }]),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(py.status, py.stderr).toBe(0);
    const [torch]: number[][][][][] = JSON.parse(py.stdout); // [layer][head][step][position]
    let worst = 0;
    c.steps.forEach((s, t) => {
      s.layers!.forEach((heads, l) => {
        heads.forEach((p, h) => {
          expect(p).toHaveLength(torch[l][h][t].length);
          p.forEach((v, k) => {
            worst = Math.max(worst, Math.abs(v - torch[l][h][t][k]));
          });
        });
      });
    });
    // fp32 on both sides: the bound for fp32 graphs
    expect(worst).toBeLessThan(1e-4);
  });
});
