/** `caption-studio search`: the real binary on a captioned, scored folder, with the CLIP fixture as the scorer. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../../test/fixtures/images.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
const CLIP = join(FIXTURES, 'clip-repo');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('caption-studio search', () => {
  it('lists the scored images best first, pages them, and names a bad flag', async () => {
    const folder = tempDir('cs-cli-search-');
    const data = tempDir('cs-cli-search-data-');
    const files = await writeGoodImages(folder, 3);
    expect(cli(['caption', folder, '--data-dir', data, '--quiet']).code).toBe(0);
    expect(cli(['score', folder, '--scorer', CLIP, '--data-dir', data]).code).toBe(0);

    const all = cli(['search', 'a red circle', '--scorer', CLIP, '--folder', folder, '--data-dir', data]);
    expect(all.err).toBe('');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^3 of 3 images scored by clip-repo \(fp32\), best first:\n/);
    const rows = all.out.trim().split('\n').slice(2);
    expect(rows.map((l) => l.split(/ +/)[1]).sort()).toEqual([...files].sort());
    const cosines = rows.map((l) => Number(l.split(/ +/)[0]));
    expect(cosines).toEqual([...cosines].sort((a, b) => b - a));

    const second = cli([
      'search',
      'a red circle',
      '--clip',
      CLIP,
      '--offset',
      '1',
      '--limit',
      '1',
      '--data-dir',
      data,
    ]);
    expect(second.out.trim().split('\n').slice(2)).toEqual([rows[1]]);

    const empty = cli(['search', ' ', '--scorer', CLIP, '--data-dir', data]);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/--query: /);
    const unknown = cli(['search', 'x', '--scorer', 'nobody/nothing', '--data-dir', data]);
    // a flag's bad value is a usage error (2), named as the flag
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--scorer: nobody\/nothing is not in the Hugging Face cache/);
  });
});
