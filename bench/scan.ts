/**
 * Library scanning speed on a generated tree of 100,000 empty files with image names (plus some
 * non-image and hidden files), in files/s: the first scan into a new database, an unchanged
 * rescan, and, as the baseline measured in this run, a bare recursive readdir + stat walk with no
 * database. The last line is the figure.
 *
 *   npx tsx bench/scan.ts [--files 100000]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { databasePath, openDatabase } from '../db/open.ts';
import { scanFolder } from '../electron/core/library/scan.ts';
import { tempDir } from '../test/fixtures/images.ts';

const { values } = parseArgs({ options: { files: { type: 'string' } } });
const TOTAL = Number(values.files ?? 100_000);
const root = tempDir('cs-scanbench-');
const exts = ['jpg', 'JPG', 'jpeg', 'png', 'webp', 'heic', 'txt'];
let made = 0;
for (let d = 0; made < TOTAL; d++) {
  const dir = join(root, `year-${d % 10}`, `album-${d}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 500 && made < TOTAL; i++, made++) {
    writeFileSync(join(dir, `${i % 50 === 0 ? '.' : ''}IMG_${d}_${i}.${exts[i % exts.length]}`), '');
  }
}

async function bareWalk(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += await bareWalk(p);
    else {
      await stat(p);
      n++;
    }
  }
  return n;
}

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await fn();
  return [v, (performance.now() - t) / 1000];
};

const [walked, tWalk] = await time(() => bareWalk(root));
const db = openDatabase(databasePath(tempDir('cs-scanbench-db-')));
const [first, tFirst] = await time(() => scanFolder(db, root));
const [second, tSecond] = await time(() => scanFolder(db, root));
db.close();
rmSync(root, { recursive: true, force: true });

const rate = (n: number, s: number) => Math.round(n / s);
console.log(`tree: ${TOTAL} files, ${first.found} of them images (the rest hidden or other types)`);
console.log(`bare readdir+stat walk (baseline): ${rate(walked, tWalk)} files/s`);
console.log(`first scan into a new database:    ${rate(TOTAL, tFirst)} files/s (${first.added} recorded)`);
console.log(
  `unchanged rescan:                  ${rate(TOTAL, tSecond)} files/s (${second.unchanged} unchanged)`,
);
console.log(
  `scan: ${rate(TOTAL, tFirst)} files/s first scan (${(tWalk / tFirst).toFixed(2)}x the bare walk's speed), ` +
    `${rate(TOTAL, tSecond)} files/s rescan (${(tWalk / tSecond).toFixed(2)}x)`,
);
