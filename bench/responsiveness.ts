/**
 * Responsiveness of the thread that hosts the core (and answers the UI): its event-loop stall p99
 * while a caption job runs over a 10,000-image library and a client browses the library grid and
 * rates captions, and while an imagefolder export of 2,000 captioned photos (copied) runs under the
 * same browsing and rating, against the same browsing and rating with nothing running. Rounds
 * alternate (idle, job, export, idle, ...) so all see the same machine; figures are medians over rounds.
 *
 *   npx tsx bench/responsiveness.ts [--images 10000] [--export-images 2000] [--rounds 4] [--seconds 6] [--threads N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { openStudio } from '../electron/core/studio.ts';
import { DEFAULT_BUNDLE } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { addLibrary, call, captionRoot } from '../test/fixtures/studio.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    'export-images': { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    threads: { type: 'string' },
  },
});
const N = Number(values.images ?? 10_000);
const EXPORT_N = Number(values['export-images'] ?? 2_000);
const ROUNDS = Number(values.rounds ?? 4);
const SECONDS = Number(values.seconds ?? 6);
const threads = values.threads === undefined ? undefined : Number(values.threads);

/** N distinct small photos-to-be: a gradient with the image's number drawn in as pixel bits. */
async function writeLibrary(dir: string, n: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const side = 64;
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(side * side * 3);
    for (let p = 0; p < side * side; p++) {
      px[p * 3] = (p * 7 + i) & 0xff;
      px[p * 3 + 1] = (p >> 6) * 4;
      px[p * 3 + 2] = ((i >> ((p % 14) + 0)) & 1) * 255;
    }
    const sub = join(dir, `d${String(Math.floor(i / 1000)).padStart(2, '0')}`);
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(
      join(sub, `p${String(i).padStart(5, '0')}.png`),
      await sharp(px, { raw: { width: side, height: side, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
  }
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

const studio = openStudio({
  dataDir: tempDir('cs-resp-data-'),
  model: DEFAULT_BUNDLE,
  load: { intraOpThreads: threads },
});
const big = join(tempDir('cs-resp-lib-'), 'photos');
let t = performance.now();
await writeLibrary(big, N);
const root = await call(studio, 'library.addRoot', { path: big });
console.log(
  `library: ${root.images} images written and scanned in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

// what the rater works on: a small captioned folder and a session over it
const rated = await addLibrary(studio, 24);
await captionRoot(studio, rated.id, { num_beams: 3 });
await captionRoot(studio, rated.id, {});
const session = await call(studio, 'sessions.create', { name: 'bench', rootId: rated.id, blind: true });

// what the export writes: EXPORT_N captioned photos (greedy, the quickest to caption)
const exported = join(tempDir('cs-resp-export-lib-'), 'photos');
t = performance.now();
await writeLibrary(exported, EXPORT_N);
const exportRoot = await call(studio, 'library.addRoot', { path: exported });
await captionRoot(studio, exportRoot.id, {}, { batchSize: 16 });
console.log(
  `export library: ${exportRoot.images} images written and captioned in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
const exportsDir = tempDir('cs-resp-exports-');
let exportsStarted = 0;

/** The UI's traffic for `seconds`: grid pages every 100 ms, a rating every 150 ms; API latencies. */
async function client(seconds: number): Promise<number[]> {
  const until = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  const timed = async <T>(p: () => Promise<T>) => {
    const s = performance.now();
    const r = await p();
    latencies.push(performance.now() - s);
    return r;
  };
  const browse = async () => {
    for (let i = 0; performance.now() < until; i++) {
      const filter = (['all', 'uncaptioned', 'unrated'] as const)[i % 3];
      await timed(() =>
        call(studio, 'library.images', { rootId: root.id, filter, offset: (i * 997) % N, limit: 200 }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const rate = async () => {
    for (let i = 0; performance.now() < until; i++) {
      const item = await timed(() =>
        call(studio, 'sessions.item', { sessionId: session.id, rater: 'ada', position: i % 24 }),
      );
      const c = item.candidates[i % item.candidates.length];
      await timed(() =>
        call(studio, 'ratings.set', {
          sessionId: session.id,
          rater: 'ada',
          candidateId: c.id,
          value: 1 + (i % 5),
        }),
      );
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  await Promise.all([browse(), rate()]);
  return latencies;
}

async function measure(seconds: number) {
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  const latencies = await client(seconds);
  h.disable();
  return {
    stallP99: h.percentile(99) / 1e6,
    stallMax: h.max / 1e6,
    apiP99: pct(latencies, 0.99),
    calls: latencies.length,
  };
}

/** Exports of the EXPORT_N photos back to back while `measure` runs; photos and files per second. */
async function whileExporting(seconds: number) {
  let running = 0;
  let exports = 0;
  const placed = new Map<number, number>(); // export id -> files written (done, cancelled or running)
  const off = studio.events.on((m) => {
    if (m.event !== 'export.progress') return;
    running = m.data.state === 'running' ? m.data.id : 0;
    placed.set(m.data.id, m.data.done);
  });
  let measuring = true;
  const started = performance.now();
  const loop = (async () => {
    while (measuring) {
      exports++;
      const out = join(exportsDir, `export-${exportsStarted++}`);
      await call(studio, 'export.run', { format: 'imagefolder', rootId: exportRoot.id, out }).catch((e) => {
        if (!/cancelled/.test(String(e))) throw e;
      });
    }
  })();
  const m = await measure(seconds);
  measuring = false;
  if (running) await call(studio, 'export.cancel', { id: running }).catch(() => {});
  await loop;
  off();
  const files = [...placed.values()].reduce((a, b) => a + b, 0);
  return { ...m, rate: files / ((performance.now() - started) / 1000), exports };
}

const idle: Awaited<ReturnType<typeof measure>>[] = [];
const busy: (Awaited<ReturnType<typeof measure>> & { rate: number })[] = [];
const exporting: Awaited<ReturnType<typeof whileExporting>>[] = [];
let jobId = 0;
for (let r = 0; r < ROUNDS; r++) {
  idle.push(await measure(SECONDS));
  const job = await call(studio, 'jobs.start', { rootId: root.id, decoding: { num_beams: 3 }, batchSize: 8 });
  jobId = job.id;
  const before = job.captioned;
  t = performance.now();
  const m = await measure(SECONDS);
  const paused = await call(studio, 'jobs.stop', { jobId, action: 'pause' });
  busy.push({
    ...m,
    rate: (paused.captioned - (paused.resumed ? 0 : before)) / ((performance.now() - t) / 1000),
  });
  const f = (x: { stallP99: number; stallMax: number; apiP99: number }) =>
    `stall p99 ${x.stallP99.toFixed(1)} ms (max ${x.stallMax.toFixed(0)}), API p99 ${x.apiP99.toFixed(1)} ms`;
  exporting.push(await whileExporting(SECONDS));
  console.log(
    `round ${r + 1}: idle: ${f(idle[r])} | job running (${busy[r].rate.toFixed(1)} img/s): ${f(busy[r])} | ` +
      `exporting (${exporting[r].rate.toFixed(0)} files/s, ${exporting[r].exports} exports): ${f(exporting[r])}`,
  );
}
await studio.close();
const stall = median(busy.map((b) => b.stallP99));
console.log(
  `medians over ${ROUNDS} rounds: running ${stall.toFixed(1)} ms stall p99, API p99 ${median(busy.map((b) => b.apiP99)).toFixed(1)} ms; ` +
    `idle ${median(idle.map((b) => b.stallP99)).toFixed(1)} ms, API p99 ${median(idle.map((b) => b.apiP99)).toFixed(1)} ms`,
);
const exportStall = median(exporting.map((b) => b.stallP99));
console.log(
  `exporting: ${exportStall.toFixed(1)} ms stall p99 (max ${median(exporting.map((b) => b.stallMax)).toFixed(0)} ms), ` +
    `API p99 ${median(exporting.map((b) => b.apiP99)).toFixed(1)} ms, ${median(exporting.map((b) => b.rate)).toFixed(0)} files/s`,
);
console.log(
  `responsiveness: event-loop stall p99 ${stall.toFixed(1)} ms while a ${N}-image job runs, ${exportStall.toFixed(1)} ms while ` +
    `an export of ${EXPORT_N} photos runs, and the UI browses and rates (idle: ${median(idle.map((b) => b.stallP99)).toFixed(1)} ms); goal < 50 ms`,
);
