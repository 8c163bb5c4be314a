/**
 * One contestant of bench/engine.ts in its own process, so its memory is its own:
 *   node --import tsx bench/support/contestant.ts ours|tjs MODEL_DIR DTYPE [DERIVED_DIR]
 * Loads the model, reports RSS after load, then runs each `{ run, files, decoding }` message over
 * the files (read from disk and decoded as part of the run) and reports seconds and, for ours, the
 * main thread's longest event-loop stalls; `{ end }` reports the peak RSS (VmHWM) and exits.
 *
 * ours: the studio's engine as the CLI and the desktop app run it: the model in its worker thread,
 *   files read and hashed on the main thread, batches of 16, default session options and layout;
 *   with DERIVED_DIR, derived files (the hoisted decoder, graph/hoist.ts; per-image scales, graph/quant.ts) are taken from there, as
 *   the studio takes them from its data folder (the bench makes them before, so that making them
 *   is not in the contestant's memory).
 * tjs: transformers.js's `image-to-text` pipeline on the public export's layout of the same weights,
 *   its default session options (it takes one image at a time; it has no beam search).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { env, pipeline } from '@huggingface/transformers';
import type { Dtype } from '../../electron/core/api/contract.ts';
import type { DecodingOptions } from '../../electron/core/api/decoding.ts';
import { RemoteEngine } from '../../electron/core/inference/remote.ts';
import { readAndHash } from '../../electron/core/library/read.ts';

export type Message = { run: true; files: string[]; decoding: DecodingOptions } | { end: true };
export type Report =
  | { loaded: true; rssMB: number }
  | { seconds: number; stallP99: number | null; stallMax: number | null }
  | { peakMB: number };

const [kind, dir, dtype, derivedDir] = process.argv.slice(2) as ['ours' | 'tjs', string, Dtype, string?];
const send = (r: Report) => process.send!(r);
const mb = (kb: number) => kb / 1024;
const peakKB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

let run: (m: Extract<Message, { run: true }>) => Promise<void>;
let stalls: ReturnType<typeof monitorEventLoopDelay> | null = null;
if (kind === 'ours') {
  const engine = await RemoteEngine.load(dir, { dtype, derivedDir });
  run = async ({ files, decoding }) => {
    const d = engine.decoding(decoding);
    async function* inputs() {
      for (const file of files) yield { file, bytes: (await readAndHash(file, dirname(file))).bytes };
    }
    for await (const r of engine.captionFiles(inputs(), d, { batchSize: 16 }))
      if (!r.ok) throw new Error(r.error);
  };
} else {
  env.allowRemoteModels = false;
  env.localModelPath = `${dir}/../`;
  const name = dir.split('/').filter(Boolean).pop()!;
  const captioner = await pipeline('image-to-text', name, {
    device: 'cpu',
    dtype: dtype === 'q8' ? 'q8' : 'fp32',
  });
  const { max_length } = JSON.parse(readFileSync(`${dir}/generation_config.json`, 'utf8'));
  run = async ({ files }) => {
    await captioner(files, { max_length });
  };
}
send({ loaded: true, rssMB: process.memoryUsage().rss / 2 ** 20 });

process.on('message', async (m: Message) => {
  if ('end' in m) {
    send({ peakMB: mb(peakKB()) });
    process.exit(0);
  }
  if (kind === 'ours') {
    stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
  }
  const t = performance.now();
  await run(m);
  const seconds = (performance.now() - t) / 1000;
  stalls?.disable();
  send({
    seconds,
    stallP99: stalls ? stalls.percentile(99) / 1e6 : null,
    stallMax: stalls ? stalls.max / 1e6 : null,
  });
});
