/**
 * Our engine against transformers.js (`image-to-text`), fairly: the same photo-size JPEGs (made
 * now; reading and decoding them is part of every run), each contestant in its own process (its
 * memory its own: RSS after load and peak), interleaved rounds (a warm-up, then every contestant
 * once per round, ROUNDS >= 5), medians.
 *
 * Ours runs as the CLI and the app run it: the model in its worker thread, batches of 16, the
 * bundle's default decoder layout and session options; greedy and beam-5 (the n-best kept).
 * transformers.js takes one image at a time and has no beam search: it runs greedy, and both of ours
 * are compared with that. It gets the public export's layout of the same weights (cross-attention
 * recomputed every step, as vit-gpt2-image-captioning ships), which is what it can load; ours gets
 * our layout (cross-attention cached).
 *
 * Models: the shipped one (its weights exported again in the public layout for transformers.js),
 * and a vit-gpt2-image-captioning-shaped captioner (ViT-B/16 + 12-layer GPT-2, 239 M parameters,
 * random weights) generated now by `python -m captioner.export.vitgpt2_shaped` (~5 GB, not
 * committed), fp32 and int8 (transformers.js's q8).
 *
 *   npx tsx bench/engine.ts [--images 16] [--default-images 64] [--rounds 5] [--keep DIR]
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../electron/core/api/contract.ts';
import type { DecodingOptions } from '../electron/core/api/decoding.ts';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import type { Message, Report } from './support/contestant.ts';
import { writePhotos } from './support/photos.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    'default-images': { type: 'string' },
    rounds: { type: 'string' },
    keep: { type: 'string' },
  },
});
const N = Number(values.images ?? 16);
const N_DEFAULT = Number(values['default-images'] ?? 64);
const ROUNDS = Number(values.rounds ?? 5);
const work = values.keep ?? tempDir('cs-bench-engine-');

function python(args: string[]): void {
  const r = spawnSync('/usr/bin/python3', args, { cwd: MODELS_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
}

/** transformers.js reads <root>/<name>/onnx/*.onnx beside the JSON files. */
function tjsLayout(src: string, name: string): string {
  const dst = join(work, 'tjs', name);
  if (existsSync(dst)) return dst;
  mkdirSync(join(dst, 'onnx'), { recursive: true });
  for (const f of [
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ])
    symlinkSync(join(src, f), join(dst, f));
  for (const f of ['encoder_model', 'decoder_model_merged'])
    for (const suffix of ['', '_quantized'])
      if (existsSync(join(src, `${f}${suffix}.onnx`)))
        symlinkSync(join(src, `${f}${suffix}.onnx`), join(dst, 'onnx', `${f}${suffix}.onnx`));
  return dst;
}

class Contestant {
  private child: ChildProcess;
  private replies: Report[] = [];
  private waiting: ((r: Report) => void) | null = null;
  loadedMB = 0;

  constructor(kind: 'ours' | 'tjs', dir: string, dtype: Dtype) {
    this.child = fork(join(import.meta.dirname, 'support', 'contestant.ts'), [kind, dir, dtype], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: Report) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(r);
      } else this.replies.push(r);
    });
    this.child.on('exit', (code) => {
      if (code !== 0) throw new Error(`${kind} ${dir} ${dtype} exited with ${code}`);
    });
  }

  private next(): Promise<Report> {
    const r = this.replies.shift();
    return r ? Promise.resolve(r) : new Promise((res) => (this.waiting = res));
  }

  async ready(): Promise<this> {
    this.loadedMB = ((await this.next()) as { rssMB: number }).rssMB;
    return this;
  }

  async run(files: string[], decoding: DecodingOptions) {
    this.child.send({ run: true, files, decoding } satisfies Message);
    return (await this.next()) as Extract<Report, { seconds: number }>;
  }

  async end(): Promise<number> {
    this.child.send({ end: true } satisfies Message);
    return ((await this.next()) as { peakMB: number }).peakMB;
  }
}

/** One model size and dtype: interleaved rounds of tjs greedy, ours greedy, ours beam-5. */
async function compare(
  label: string,
  ours: string,
  peer: string,
  dtype: Dtype,
  files: string[],
): Promise<string> {
  const us = await new Contestant('ours', ours, dtype).ready();
  const them = await new Contestant('tjs', peer, dtype).ready();
  const runs: Record<string, () => Promise<{ seconds: number; stallP99: number | null }>> = {
    'transformers.js greedy': () => them.run(files, {}),
    'ours greedy': () => us.run(files, { num_beams: 1 }),
    'ours beam-5': () => us.run(files, { num_beams: 5, num_return_sequences: 5 }),
  };
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const stalls: number[] = [];
  for (const run of Object.values(runs)) await run(); // warm-up
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, run] of Object.entries(runs)) {
      const out = await run();
      rates[name].push(files.length / out.seconds);
      if (out.stallP99 !== null) stalls.push(out.stallP99);
    }
  const peak = { ours: await us.end(), tjs: await them.end() };
  const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  console.log(`${label}: ${files.length} photos, ${ROUNDS} rounds (medians; rounds in brackets)`);
  for (const [k, v] of Object.entries(rates))
    console.log(
      `  ${k.padEnd(24)} ${m[k].toFixed(2).padStart(7)} images/s  [${v.map((x) => x.toFixed(2)).join(', ')}]`,
    );
  console.log(
    `  RSS after load: ours ${us.loadedMB.toFixed(0)} MB, transformers.js ${them.loadedMB.toFixed(0)} MB; ` +
      `peak: ours ${peak.ours.toFixed(0)} MB, transformers.js ${peak.tjs.toFixed(0)} MB; ` +
      `our main thread's event-loop stall p99 ${median(stalls).toFixed(1)} ms`,
  );
  const tjs = m['transformers.js greedy'];
  return (
    `engine ${label}: greedy ${(m['ours greedy'] / tjs).toFixed(2)}x tjs greedy, beam-5 ${(m['ours beam-5'] / tjs).toFixed(2)}x tjs greedy, ` +
    `RSS ${(peak.ours / peak.tjs).toFixed(2)}x tjs, stall p99 ${median(stalls).toFixed(1)} ms`
  );
}

const photos = await writePhotos(join(work, 'photos'), Math.max(N, N_DEFAULT));
const lines: string[] = [];

// the shipped model; transformers.js gets the same weights in the public layout
const defaultPublic = join(work, 'default-vit-gpt2-layout');
if (!existsSync(defaultPublic))
  python(['-m', 'captioner.export', DEFAULT_BUNDLE, defaultPublic, '--layout', 'vit-gpt2']);
lines.push(
  await compare(
    'default fp32',
    DEFAULT_BUNDLE,
    tjsLayout(defaultPublic, 'default'),
    'fp32',
    photos.slice(0, N_DEFAULT),
  ),
);

// vit-gpt2-image-captioning's size
const shaped = join(work, 'vit-gpt2-shaped');
if (!existsSync(join(shaped, 'vit-gpt2', 'decoder_model_merged_quantized.onnx')))
  python(['-m', 'captioner.export.vitgpt2_shaped', shaped]);
const peer = tjsLayout(join(shaped, 'vit-gpt2'), 'vit-gpt2-shaped');
lines.push(await compare('vit-gpt2-shaped int8', join(shaped, 'seq2seq'), peer, 'q8', photos.slice(0, N)));
lines.push(await compare('vit-gpt2-shaped fp32', join(shaped, 'seq2seq'), peer, 'fp32', photos.slice(0, N)));

for (const l of lines) console.log(l);
process.exit(0);
