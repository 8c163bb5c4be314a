/**
 * The real `caption` job end to end (scan, read + hash, decode, the model in its worker thread,
 * the database) on photo-size JPEGs made now, against the rate of decode + resize alone (the
 * model's preprocessing: read, sharp decode, resize, normalise) on the same files with as many
 * decodes at once as there are cores. Rounds alternate the two; medians. Also: CPU seconds per image
 * (all threads of the process), at the CLI's batch size (16), and the share of the job the model
 * spent waiting for input: 1 - model time / job time, model time being what the runs record,
 * summed, and job time from the job's start (the model loaded) to its end.
 *
 *   npx tsx bench/pipeline.ts [--images 500] [--rounds 3] [--batch 16] [--threads N (ORT intra-op; default: the studio's)]
 *     [--model DIR --dtype D (default: the shipped model)]
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../electron/core/api/contract.ts';
import { PreprocessorConfig, preprocessImage } from '../electron/core/inference/preprocess.ts';
import { openStudio } from '../electron/core/studio.ts';
import { DEFAULT_BUNDLE } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { call, captionRoot } from '../test/fixtures/studio.ts';
import { writePhotos } from './support/photos.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    rounds: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    model: { type: 'string' },
    dtype: { type: 'string' },
  },
});
const N = Number(values.images ?? 500);
const ROUNDS = Number(values.rounds ?? 3);
const BATCH = Number(values.batch ?? 16);
const THREADS = values.threads === undefined ? undefined : Number(values.threads);
const MODEL = values.model ?? DEFAULT_BUNDLE;
const CORES = availableParallelism();

const cfg = PreprocessorConfig.parse(
  JSON.parse(readFileSync(join(DEFAULT_BUNDLE, 'preprocessor_config.json'), 'utf8')),
);

/** images/s of read + decode + resize + normalise alone, CORES at a time. */
async function decodeOnly(files: string[]): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CORES }, async () => {
      while (next < files.length) {
        const f = files[next++];
        await preprocessImage(f, await readFile(f), cfg);
      }
    }),
  );
  return (files.length * 1000) / (performance.now() - t);
}

/** The caption job on a fresh data dir: images/s, CPU s per image, model waiting share. */
async function captionJob(folder: string): Promise<{ rate: number; cpu: number; waiting: number }> {
  const studio = openStudio({
    dataDir: tempDir('cs-bench-pipe-'),
    model: MODEL,
    load: { intraOpThreads: THREADS, dtype: values.dtype as Dtype | undefined },
  });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const root = await call(studio, 'library.addRoot', { path: folder });
    await call(studio, 'engine.info', { dtype: values.dtype as Dtype | undefined }); // loads the model
    const t1 = performance.now();
    const job = await captionRoot(
      studio,
      root.id,
      {},
      { batchSize: BATCH, dtype: values.dtype as Dtype | undefined },
    );
    const t2 = performance.now();
    const used = process.cpuUsage(cpu0);
    if (job.captioned !== N) throw new Error(`captioned ${job.captioned} of ${N}: ${job.failure ?? ''}`);
    const { ms } = studio.db.prepare('SELECT sum(duration_ms) AS ms FROM caption_runs').get() as {
      ms: number;
    };
    // images/s of the whole command (scan and model load included); the model's waiting share
    // from the job's start, when the model is ready, to its end
    return {
      rate: (N * 1000) / (t2 - t0),
      cpu: (used.user + used.system) / 1e6 / N,
      waiting: 1 - ms / (t2 - t1),
    };
  } finally {
    await studio.close();
  }
}

const folder = tempDir('cs-bench-photos-');
const files = await writePhotos(folder, N);
console.log(`${N} photos of 1600x1200 (JPEG q85), ${CORES} cores, batch ${BATCH}`);
await decodeOnly(files.slice(0, 32)); // warm-up
const decode: number[] = [];
const jobs: { rate: number; cpu: number; waiting: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  decode.push(await decodeOnly(files));
  jobs.push(await captionJob(folder));
  const j = jobs.at(-1)!;
  console.log(
    `round ${r + 1}: decode-only ${decode.at(-1)!.toFixed(1)} images/s; caption job ${j.rate.toFixed(1)} images/s, ` +
      `${(j.cpu * 1000).toFixed(1)} ms CPU per image, model waiting ${(j.waiting * 100).toFixed(1)}%`,
  );
}
const rate = median(jobs.map((j) => j.rate));
const d = median(decode);
console.log(`CPU per image (median): ${(median(jobs.map((j) => j.cpu)) * 1000).toFixed(1)} ms`);
console.log(
  `pipeline: ${rate.toFixed(1)} images/s greedy = ${(rate / d).toFixed(2)} of decode-only, model waiting ${(median(jobs.map((j) => j.waiting)) * 100).toFixed(1)}%`,
);
process.exit(0);
