/**
 * `caption` on a folder that fights back: an unreadable subfolder, a symlink loop, a file name
 * that is not UTF-8 and a 1 GiB (sparse) file. Each is reported, the run goes on, and memory stays
 * bounded: peak RSS read from the child's /proc status (VmHWM) while it runs. As root (where
 * permissions do not bind) the child runs as `nobody`, so the unreadable folder is unreadable.
 */
import { chmodSync, chownSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeGoodImages } from '../../test/fixtures/images.ts';
import { runMeasured } from '../../test/fixtures/measure.ts';

const NOBODY = 65534;

describe('caption on a hostile folder', () => {
  it('reports the unreadable folder, the loop, the non-UTF-8 name and the 1 GiB file, captions the rest, in bounded memory', async () => {
    const asUser = process.getuid?.() === 0 ? NOBODY : undefined;
    const folder = tempDir('cs-hostile-');
    await writeGoodImages(join(folder, 'ok'), 4);
    await writeGoodImages(join(folder, 'locked'), 2);
    symlinkSync(folder, join(folder, 'ok', 'loop'));
    writeFileSync(
      Buffer.from(`${folder}/ok/bad-\xff.png`, 'latin1'),
      readFileSync(join(folder, 'ok', 'img-000.png')),
    );
    writeFileSync(join(folder, 'huge.jpg'), '');
    truncateSync(join(folder, 'huge.jpg'), 2 ** 30);
    const data = tempDir('cs-hostile-data-');
    const home = tempDir('cs-hostile-home-');
    for (const d of [folder, join(folder, 'ok'), join(folder, 'locked')]) chmodSync(d, 0o755);
    if (asUser !== undefined) for (const d of [data, home]) chownSync(d, asUser, asUser);
    chmodSync(join(folder, 'locked'), 0o000);

    const r = await runMeasured(['caption', folder, '--data-dir', data, '--quiet'], asUser, { HOME: home });
    chmodSync(join(folder, 'locked'), 0o755);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Skipped ${folder}/locked: cannot open folder (EACCES)`);
    expect(r.out).toContain(`Skipped ${folder}/ok/loop: link to a folder already scanned`);
    expect(r.out).toContain(`Skipped ${folder}/ok/bad-\uFFFD.png: name is not valid UTF-8`);
    expect(r.out).toMatch(/Done: 4 captioned, 0 already captioned, 0 new errors; 1 files cannot be read:/);
    expect(r.out).toContain(`${folder}/huge.jpg: file too large (1024 MB; the limit is 256 MB`);
    expect(r.peakMB).toBeGreaterThan(50); // the sampling saw the process
    expect(r.peakMB).toBeLessThan(600);
  }, 120_000);
});
