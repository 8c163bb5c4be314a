/**
 * Memory stays flat over a long batch: RSS after 2,000 images within 10 % of RSS after 200
 * (greedy, batches of 16; the 64 distinct fixture files are cycled). Prints both and the ratio;
 * the last line is the figure.
 *
 *   npx tsx bench/memory.ts [--images 2000]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CaptionEngine } from '../electron/core/inference/engine.ts';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';

const { values } = parseArgs({ options: { images: { type: 'string' } } });
const TOTAL = Number(values.images ?? 2000);
const files = await writeGoodImages(join(tempDir('cs-mem-'), 'images'), 64);
const engine = await CaptionEngine.load(resolve(import.meta.dirname, '../models/default'), {
  intraOpThreads: 2,
});

function* inputs() {
  for (let i = 0; i < TOTAL; i++) yield { file: files[i % files.length] };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
let done = 0;
let at200 = 0;
const marks: string[] = [];
const started = performance.now();
for await (const out of engine.captionFiles(
  inputs(),
  engine.decoding({ num_beams: 3, num_return_sequences: 3 }),
  { batchSize: 16 },
)) {
  if (!out.ok) throw new Error(out.error);
  done++;
  if (done % 200 === 0) {
    const rss = process.memoryUsage().rss;
    if (done === 200) at200 = rss;
    marks.push(`${done}: ${mb(rss)}`);
  }
}
const atEnd = process.memoryUsage().rss;
console.log(
  `images/s ${(done / ((performance.now() - started) / 1000)).toFixed(1)} (beam-3, 3 candidates each)`,
);
console.log(`RSS by images captioned: ${marks.join(', ')}`);
console.log(
  `memory: RSS after ${done} images is ${((atEnd / at200 - 1) * 100).toFixed(1)}% above RSS after 200 (${mb(at200)} -> ${mb(atEnd)}; goal within 10%)`,
);
await engine.dispose();
