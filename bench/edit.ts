/**
 * Bulk caption edits at library scale: a regular-expression replace over 10,000 captions (one
 * undoable step, through the contract and its worker thread, as the studio calls it), then its
 * undo, against the preview of the same edit (read only: the baseline) in the same rounds. Rounds
 * alternate preview, replace, undo on one database, so all see the same machine; figures are
 * medians over rounds. Meanwhile the core's thread (the one that answers the UI) is watched for
 * event-loop stalls: their p99 over each replace and undo.
 *
 *   npx tsx bench/edit.ts [--images 10000] [--rounds 7]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openStudio } from '../electron/core/studio.ts';
import { DEFAULT_BUNDLE } from '../test/fixtures/bundles.ts';
import { seedCaptions } from '../test/fixtures/captions.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { call } from '../test/fixtures/studio.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.images ?? 10_000);
const ROUNDS = Number(values.rounds ?? 7);

const studio = openStudio({ dataDir: tempDir('cs-edit-bench-'), model: DEFAULT_BUNDLE });
const { rootId } = seedCaptions(studio.db, '/photos', N);
// every seeded caption ends in "photo <number>": the replace changes all of them
const req = {
  op: { kind: 'replace', find: 'photo (\\d+)$', replace: 'picture $1', regex: true },
  library: { rootId },
} as const;

/** Runs `f` with the event loop watched: its duration and the loop's stall p99, in ms. */
async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; stall: number; value: T }> {
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  // a client's requests meanwhile keep the loop busy as the UI would
  let browsing = true;
  const browse = (async () => {
    while (browsing) {
      await call(studio, 'library.images', { limit: 100 });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t = performance.now();
  const value = await f();
  const ms = performance.now() - t;
  browsing = false;
  await browse;
  h.disable();
  return { ms, stall: h.percentile(99) / 1e6, value };
}

const preview: number[] = [];
const replace: number[] = [];
const undo: number[] = [];
const stalls: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const p = await timed(() => call(studio, 'edit.preview', req));
  if (p.value.changed !== N)
    throw new Error(`the preview would change ${p.value.changed} captions, not ${N}`);
  const a = await timed(() => call(studio, 'edit.apply', { ...req, expect: N }));
  if (a.value.changed !== N) throw new Error(`the replace changed ${a.value.changed} captions, not ${N}`);
  const u = await timed(() => call(studio, 'edit.undo', {}));
  if (u.value.batch?.changed !== N) throw new Error('the undo did not restore every caption');
  preview.push(p.ms);
  replace.push(a.ms);
  undo.push(u.ms);
  stalls.push(a.stall, u.stall);
  console.log(
    `round ${round + 1}: preview ${p.ms.toFixed(0)} ms, replace ${a.ms.toFixed(0)} ms, undo ${u.ms.toFixed(0)} ms, stall p99 ${Math.max(a.stall, u.stall).toFixed(1)} ms`,
  );
}
await studio.close();
console.log(`baseline: preview (read only) of the same edit ${median(preview).toFixed(0)} ms`);
console.log(
  `UI thread stall p99 during replace and undo: ${median(stalls).toFixed(1)} ms (median over rounds)`,
);
console.log(`edit: replace 10k ${median(replace).toFixed(0)} ms, undo 10k ${median(undo).toFixed(0)} ms`);
