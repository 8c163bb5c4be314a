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
 * recomputed every step, as vit-gpt2-image-captioning ships). Ours runs twice: on the same public
 * files (what a user pulls; the headline: the engine opens them through the hoisting rewrite,
 * graph/hoist.ts, its derived files made before the contestants start) and on our own layout
 * (cross-attention cached by the export), each in its own process.
 *
 * Models: the shipped one (its weights exported again in the public layout for transformers.js),
 * and a vit-gpt2-image-captioning-shaped captioner (ViT-B/16 + 12-layer GPT-2, 239 M parameters,
 * random weights) generated now by `python -m captioner.export.vitgpt2_shaped` (~5 GB, not
 * committed), fp32 and int8 (transformers.js's q8). The last two lines are the headline, ours on
 * the public files: `engine vit-gpt2 public files int8: ...`, then fp32's `engine vit-gpt2 public
 * files: greedy G× tjs greedy, beam-5 B× tjs greedy, RSS M× tjs, stall p99 S ms` (peak RSS).
 * Then the roofline of each dtype (bench/support/roofline.ts): the encoder's and a decoder step's
 * FLOPs at ORT's GEMM peak measured here. `--default-images 0` leaves the shipped model out.
 *
 *   npx tsx bench/engine.ts [--images 16] [--default-images 64] [--rounds 5] [--keep DIR] [--dtypes q8,fp32]
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../electron/core/api/contract.ts';
import type { DecodingOptions } from '../electron/core/api/decoding.ts';
import { hoistedDecoder } from '../electron/core/inference/graph/hoist.ts';
import { scaledDecoder } from '../electron/core/inference/graph/quant.ts';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import type { Message, Report } from './support/contestant.ts';
import { writePhotos } from './support/photos.ts';
import { roofline } from './support/roofline.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    'default-images': { type: 'string' },
    rounds: { type: 'string' },
    keep: { type: 'string' },
    dtypes: { type: 'string' },
  },
});
const N = Number(values.images ?? 16);
const N_DEFAULT = Number(values['default-images'] ?? 64);
const ROUNDS = Number(values.rounds ?? 5);
const work = values.keep ?? tempDir('cs-bench-engine-');
const DTYPES = (values.dtypes ?? 'q8,fp32').split(',');

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

  constructor(kind: 'ours' | 'tjs', dir: string, dtype: Dtype, derivedDir?: string) {
    const args = [kind, dir, dtype, ...(derivedDir ? [derivedDir] : [])];
    this.child = fork(join(import.meta.dirname, 'support', 'contestant.ts'), args, {
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

/** One of our entrants: a model folder, and where its derived files are (the hoisted decoder). */
interface Ours {
  name: string;
  dir: string;
  derivedDir?: string;
}

/**
 * One model size and dtype: interleaved rounds of transformers.js greedy and each of ours greedy and
 * beam-5. Returns each of ours' summary (rates as multiples of transformers.js greedy, peak RSS as a
 * multiple of its peak, the main thread's event-loop stall p99), keyed by name.
 */
async function compare(
  label: string,
  ours: Ours[],
  peer: string,
  dtype: Dtype,
  files: string[],
): Promise<Map<string, string>> {
  const us: Contestant[] = [];
  for (const o of ours) us.push(await new Contestant('ours', o.dir, dtype, o.derivedDir).ready());
  const them = await new Contestant('tjs', peer, dtype).ready();
  type Run = () => Promise<{ seconds: number; stallP99: number | null }>;
  const runs: Record<string, Run> = { 'transformers.js greedy': () => them.run(files, {}) };
  ours.forEach((o, i) => {
    runs[`${o.name} greedy`] = () => us[i].run(files, { num_beams: 1 });
    runs[`${o.name} beam-5`] = () => us[i].run(files, { num_beams: 5, num_return_sequences: 5 });
  });
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const stalls: Record<string, number[]> = Object.fromEntries(ours.map((o) => [o.name, []]));
  for (const run of Object.values(runs)) await run(); // warm-up
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, run] of Object.entries(runs)) {
      const out = await run();
      rates[name].push(files.length / out.seconds);
      const who = ours.find((o) => name.startsWith(`${o.name} `));
      if (who && out.stallP99 !== null) stalls[who.name].push(out.stallP99);
    }
  const peaks: number[] = [];
  for (const u of us) peaks.push(await u.end());
  const tjsPeak = await them.end();
  const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  console.log(`${label}: ${files.length} photos, ${ROUNDS} rounds (medians; rounds in brackets)`);
  for (const [k, v] of Object.entries(rates))
    console.log(
      `  ${k.padEnd(32)} ${m[k].toFixed(2).padStart(7)} images/s  [${v.map((x) => x.toFixed(2)).join(', ')}]`,
    );
  console.log(
    `  RSS after load / peak: transformers.js ${them.loadedMB.toFixed(0)} / ${tjsPeak.toFixed(0)} MB; ` +
      ours.map((o, i) => `${o.name} ${us[i].loadedMB.toFixed(0)} / ${peaks[i].toFixed(0)} MB`).join('; '),
  );
  const tjs = m['transformers.js greedy'];
  return new Map(
    ours.map((o, i) => [
      o.name,
      `greedy ${(m[`${o.name} greedy`] / tjs).toFixed(2)}× tjs greedy, beam-5 ${(m[`${o.name} beam-5`] / tjs).toFixed(2)}× tjs greedy, ` +
        `RSS ${(peaks[i] / tjsPeak).toFixed(2)}× tjs, stall p99 ${median(stalls[o.name]).toFixed(1)} ms`,
    ]),
  );
}

const photos = await writePhotos(join(work, 'photos'), Math.max(N, N_DEFAULT));
const lines: string[] = [];
const derivedDir = join(work, 'derived');

/**
 * The derived files of a folder's per-step decoders (hoisted, then per-image scales for int8), made
 * here so that no contestant's memory holds the rewrites.
 */
async function prepare(dir: string): Promise<void> {
  for (const f of ['decoder_model_merged', 'decoder_model_merged_quantized'])
    for (const file of [join(dir, 'onnx', `${f}.onnx`), join(dir, `${f}.onnx`)])
      if (existsSync(file)) await scaledDecoder(derivedDir, (await hoistedDecoder(derivedDir, file)).file);
}

// the shipped model; transformers.js gets the same weights in the public layout
if (N_DEFAULT > 0) {
  const defaultPublic = join(work, 'default-vit-gpt2-layout');
  if (!existsSync(defaultPublic))
    python(['-m', 'captioner.export', DEFAULT_BUNDLE, defaultPublic, '--layout', 'vit-gpt2']);
  const peer = tjsLayout(defaultPublic, 'default');
  await prepare(peer);
  const got = await compare(
    'default fp32',
    [
      { name: 'ours public files', dir: peer, derivedDir },
      { name: 'ours own layout', dir: DEFAULT_BUNDLE, derivedDir },
    ],
    peer,
    'fp32',
    photos.slice(0, N_DEFAULT),
  );
  for (const [name, line] of got) lines.push(`engine default ${name}: ${line}`);
}

// vit-gpt2-image-captioning's size: the public files (what a user pulls) are the headline
const shaped = join(work, 'vit-gpt2-shaped');
if (!existsSync(join(shaped, 'vit-gpt2', 'decoder_model_merged_quantized.onnx')))
  python(['-m', 'captioner.export.vitgpt2_shaped', shaped]);
const peer = tjsLayout(join(shaped, 'vit-gpt2'), 'vit-gpt2-shaped');
await prepare(peer);
await prepare(join(shaped, 'seq2seq'));
const headline: string[] = [];
for (const [dtype, suffix] of [
  ['q8', ' int8'],
  ['fp32', ''],
] as const) {
  if (!DTYPES.includes(dtype)) continue;
  const got = await compare(
    `vit-gpt2-shaped ${dtype}`,
    [
      { name: 'ours public files', dir: peer, derivedDir },
      { name: 'ours own layout', dir: join(shaped, 'seq2seq'), derivedDir },
    ],
    peer,
    dtype,
    photos.slice(0, N),
  );
  lines.push(`engine vit-gpt2 own layout${suffix}: ${got.get('ours own layout')}`);
  headline.push(`engine vit-gpt2 public files${suffix}: ${got.get('ours public files')}`);
}

// the floor each part could reach at ORT's measured GEMM peak on this machine
for (const int8 of [true, false]) if (DTYPES.includes(int8 ? 'q8' : 'fp32')) lines.push(await roofline(int8));

for (const l of [...lines, ...headline]) console.log(l);
process.exit(0);
