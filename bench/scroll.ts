/**
 * Scrolling the library at 100,000 files in Chromium (the served studio, Debian's chromium through
 * playwright-core): how long each frame takes while a view scrolls, for the list view and for the
 * grid (its baseline, the view the issue measured first), plus an idle page's frames (the
 * machine's frame period) in the same rounds. The files are real PNGs (every one distinct: a
 * 64 px image with its own text chunk, so its own hash, thumbnail and caption), captioned straight
 * in the database as a caption job records it.
 *
 * The method: a requestAnimationFrame loop moves the view by STEP px each frame (a steady fling
 * of STEP * 60 px/s) and records the time between frames; a frame whose work (React rendering the
 * rows in view, pages of rows fetched, thumbnails decoded) overruns shows as a long interval. Each
 * round scrolls each view from three depths (top, middle, near the end), grid and list in
 * alternating order; the figure is the median over rounds of each round's p95.
 *
 *   npx tsx bench/scroll.ts [--files 100000] [--rounds 5] [--frames 180]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { databasePath, openDatabase } from '../db/open.ts';
import { launchBrowser, newPage, startStudio } from '../e2e/harness.ts';
import { scanFolder } from '../electron/core/library/scan.ts';
import { captionFiles } from '../test/fixtures/captions.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: { files: { type: 'string' }, rounds: { type: 'string' }, frames: { type: 'string' } },
});
const FILES = Number(values.files ?? 100_000);
const ROUNDS = Number(values.rounds ?? 5);
const FRAMES = Number(values.frames ?? 180);
const STEP = 90; // px a frame: 5,400 px/s at 60 frames/s, a fast fling through the rows

/** A PNG with a tEXt chunk before its IEND: the same picture, other bytes. */
function tagged(png: Buffer, text: string): Buffer {
  const data = Buffer.from(`Comment\0${text}`, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

const t0 = performance.now();
const folder = tempDir('cs-scroll-bench-');
const bases = await Promise.all(
  Array.from({ length: 16 }, (_, i) =>
    sharp({
      create: { width: 64, height: 64, channels: 3, background: { r: i * 16, g: 255 - i * 16, b: 128 } },
    })
      .png()
      .toBuffer(),
  ),
);
for (let i = 0; i < FILES; i++) {
  const dir = join(folder, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`);
  if (i % 1000 === 0) mkdirSync(dir);
  writeFileSync(join(dir, `p${String(i % 1000).padStart(4, '0')}.png`), tagged(bases[i % 16], `file ${i}`));
}
const dataDir = tempDir('cs-scroll-data-');
const db = openDatabase(databasePath(dataDir));
const { root } = await scanFolder(db, folder);
captionFiles(
  db,
  root.id,
  { width: 64, height: 64, format: 'png' },
  (i) => `photo ${i}: ${'a cat on a sofa, '.repeat(1 + (i % 4))}`,
);
db.close();
console.log(`library: ${FILES} captioned PNGs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const studio = await startStudio({}, dataDir);
const browser = await launchBrowser();
const page = await newPage(browser);
await page.goto(studio.url);
await page.locator(`[data-testid=grid][data-total="${FILES}"]`).waitFor({ timeout: 60_000 });

/** Frame intervals (ms) of FRAMES frames, the view moving STEP px a frame (0: idle). */
const frames = (step: number): Promise<number[]> =>
  page.evaluate(`new Promise((done) => {
    const g = document.querySelector('[data-testid=grid]');
    const times = [];
    let last = null;
    const tick = (t) => {
      if (last !== null) times.push(t - last);
      last = t;
      g.scrollTop += ${step};
      if (times.length < ${FRAMES}) requestAnimationFrame(tick);
      else done(times);
    };
    requestAnimationFrame(tick);
  })`);

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
/** The share of frames that missed their vsync (over 20 ms: past one 60 Hz frame, with slack for timer jitter). */
const missed = (xs: number[]) => xs.filter((x) => x > 20).length / xs.length;

async function show(view: 'grid' | 'list') {
  const toggle = page.getByRole('button', { name: view === 'list' ? 'List view' : 'Grid view' });
  if (await toggle.count()) await toggle.click();
  await page
    .locator(view === 'list' ? '[data-testid=list-row]' : '[data-testid=tile]')
    .first()
    .waitFor();
}

/** One view's frames over scrolls from three depths; checks the DOM stays small meanwhile. */
async function scrolled(view: 'grid' | 'list'): Promise<number[]> {
  await show(view);
  const all: number[] = [];
  for (const depth of [0, 0.5, 0.9]) {
    await page.evaluate(`(() => {
      const g = document.querySelector('[data-testid=grid]');
      g.scrollTop = (g.scrollHeight - g.clientHeight) * ${depth};
    })()`);
    await page.waitForTimeout(500); // the page of rows there fetched and drawn before the clock starts
    all.push(...(await frames(STEP)));
    const nodes = await page.evaluate(
      `document.querySelector('[data-testid=grid]').querySelectorAll('*').length`,
    );
    if ((nodes as number) > 600) throw new Error(`${view}: ${nodes} nodes in the view: not virtualised`);
  }
  return all;
}

const figures = { list: [] as number[][], grid: [] as number[][], idle: [] as number[][] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? (['list', 'grid'] as const) : (['grid', 'list'] as const);
  for (const v of order) figures[v].push(await scrolled(v));
  figures.idle.push(await frames(0));
  const r = (v: keyof typeof figures) =>
    `${v} ${p95(figures[v][round]).toFixed(1)} ms (${(missed(figures[v][round]) * 100).toFixed(1)}% missed)`;
  console.log(`round ${round + 1}: p95 frame ${r('list')}, ${r('grid')}, ${r('idle')}`);
}
await browser.close();
await studio.stop();
for (const dir of [folder, dataDir]) rmSync(dir, { recursive: true, force: true });
const med = (v: keyof typeof figures, f: (xs: number[]) => number) => median(figures[v].map(f));
console.log(
  `medians over ${ROUNDS} rounds: frames that missed their vsync: list ${(med('list', missed) * 100).toFixed(1)}%, grid ${(med('grid', missed) * 100).toFixed(1)}%, idle ${(med('idle', missed) * 100).toFixed(1)}%`,
);
console.log(
  `baseline: grid view p95 frame ${med('grid', p95).toFixed(1)} ms; idle page ${med('idle', p95).toFixed(1)} ms`,
);
console.log(`list: scroll ${FILES / 1000}k files p95 frame ${med('list', p95).toFixed(1)} ms (goal < 33 ms)`);
