/**
 * Links leading out of a library folder: a scan passes them over (reported once), a caption job
 * never reads them, an export never copies their bytes, sidecars are never written through them.
 * A folder that was real when scanned and is a link leading out by the time a job or an export
 * runs is the attack: the rows are in the database, the bytes are elsewhere.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../../db/open.ts';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { sceneFiles, tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { exportDataset } from '../export/export.ts';
import { CaptionEngine } from '../inference/engine.ts';
import { runCaptionJob } from '../jobs/runner.ts';
import { LEADS_OUTSIDE, leadsOutside, realInside } from './inside.ts';
import { scanFolder } from './scan.ts';

let engine: CaptionEngine;
beforeAll(async () => {
  engine = await CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 });
});
afterAll(() => engine?.dispose());

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** lib/{a,b} of good images; outside/, with images of b's names but other pictures. */
async function setup() {
  const lib = tempDir('cs-in-lib-');
  const outside = tempDir('cs-in-out-');
  await writeGoodImages(join(lib, 'a'), 2);
  for (const f of await writeGoodImages(join(lib, 'b'), 2)) // other pictures than a's
    writeFileSync(f, await sharp(readFileSync(f)).rotate(90).png().toBuffer());
  for (const name of readdirSync(join(lib, 'b')))
    writeFileSync(join(outside, name), await sharp(sceneFiles()[2]).rotate(180).flip().png().toBuffer());
  const swap = {
    // lib/b becomes a link to outside/ (the real b kept aside), and back
    out: () => {
      renameSync(join(lib, 'b'), join(lib, '.b-real'));
      symlinkSync(outside, join(lib, 'b'));
    },
    back: () => {
      renameSync(join(lib, 'b'), join(lib, '.b-link'));
      renameSync(join(lib, '.b-real'), join(lib, 'b'));
    },
  };
  return { lib, outside, swap };
}

describe('links leading out of a library folder', () => {
  it('the rule: real paths of the file and of the folder it is listed in', async () => {
    const { lib, outside } = await setup();
    symlinkSync(join(outside, 'img-000.png'), join(lib, 'escape.png'));
    symlinkSync(join(lib, 'a', 'img-000.png'), join(lib, 'inner.png'));
    symlinkSync(outside, join(lib, 'escape-dir'));
    expect(leadsOutside(lib, join(lib, 'escape.png'))).toBe(true);
    expect(leadsOutside(lib, join(lib, 'escape-dir', 'img-000.png'))).toBe(true);
    expect(leadsOutside(lib, join(lib, 'inner.png'))).toBe(false);
    expect(leadsOutside(lib, join(lib, 'no-such.png'))).toBe(false); // not resolvable: not a link out
    await expect(realInside(lib, join(lib, 'escape.png'))).rejects.toThrow(`escape.png: ${LEADS_OUTSIDE}`);
    expect(await realInside(lib, join(lib, 'inner.png'))).toBe(join(lib, 'a', 'img-000.png'));
  });

  it('a scan passes them over, each reported once; links staying inside are followed', async () => {
    const { lib, outside } = await setup();
    symlinkSync(join(outside, 'img-000.png'), join(lib, 'a', 'escape.png'));
    symlinkSync(outside, join(lib, 'escape-dir'));
    symlinkSync(join(lib, 'a', 'img-000.png'), join(lib, 'inner.png'));
    const db = openDatabase(databasePath(tempDir('cs-in-data-')));
    const scan = await scanFolder(db, lib);
    expect(scan.found).toBe(5); // a/2, b/2, inner.png
    expect(scan.skipped).toEqual([
      { path: join(lib, 'escape-dir'), reason: LEADS_OUTSIDE },
      { path: join(lib, 'a', 'escape.png'), reason: LEADS_OUTSIDE },
    ]);
    db.close();
  });

  it('not captioned, not exported (imagefolder), not written through (sidecars beside the images)', async () => {
    const { lib, outside, swap } = await setup();
    const db = openDatabase(databasePath(tempDir('cs-in-data-')));
    const rootId = (await scanFolder(db, lib)).root.id;
    const decoding = engine.decoding({});
    const outsideHashes = readdirSync(outside).map((f) => sha(join(outside, f)));

    // scanned as a real folder, a link leading out when the job runs: an error, never read
    swap.out();
    const job = await runCaptionJob(db, engine, { rootId, decoding });
    expect(job).toMatchObject({ captioned: 2, errors: 2 });
    const errors = job.errorList.map((e) => [e.path.slice(lib.length + 1), e.error]);
    expect(errors).toEqual([
      ['b/img-000.png', `${join(lib, 'b', 'img-000.png')}: ${LEADS_OUTSIDE}`],
      ['b/img-001.png', `${join(lib, 'b', 'img-001.png')}: ${LEADS_OUTSIDE}`],
    ]);
    const hashes = (db.prepare('SELECT hash FROM images').all() as { hash: string }[]).map((r) => r.hash);
    for (const h of outsideHashes) expect(hashes).not.toContain(h);

    // captioned while real, a link leading out when exported
    swap.back();
    db.prepare("UPDATE files SET status = 'new', error = NULL").run();
    expect(await runCaptionJob(db, engine, { rootId, decoding })).toMatchObject({ captioned: 2 });
    swap.out();
    const hf = join(tempDir('cs-in-export-'), 'hf');
    const result = await exportDataset(db, { format: 'imagefolder', out: hf });
    expect(result.rows).toBe(2);
    const meta = readFileSync(join(hf, 'metadata.jsonl'), 'utf8').trim().split('\n');
    expect(meta.map((l) => JSON.parse(l).original_file).sort()).toEqual(['a/img-000.png', 'a/img-001.png']);
    const copied = readdirSync(hf, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of copied) expect(outsideHashes).not.toContain(sha(join(f.parentPath, f.name)));

    const beside = await exportDataset(db, { format: 'sidecars', beside: true });
    expect(beside.written.map((f) => f.slice(lib.length + 1)).sort()).toEqual([
      'a/img-000.txt',
      'a/img-001.txt',
    ]);
    expect(readdirSync(outside).filter((f) => f.endsWith('.txt'))).toEqual([]); // nothing written through
    expect(existsSync(join(lib, '.b-real', 'img-000.txt'))).toBe(false);
    db.close();
  }, 120_000);
});
