import { mkdirSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../../db/open.ts';
import { filesOfRoot } from '../../../db/queries/library.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { type FoundFile, type SkippedEntry, scanFolder, walkImages } from './scan.ts';

function tree(): string {
  const root = tempDir('cs-scan-');
  const put = (p: string, body = 'x') => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), body);
  };
  put('a.jpg');
  put('B.JPEG');
  put('sub/c.png');
  put('sub/deeper/d.webp');
  put('sub/e.tiff');
  put('f.avif');
  put('g.gif');
  put('h.bmp');
  put('notes.txt');
  put('.hidden.jpg');
  put('.git/objects/i.png');
  put('Thumbs.db');
  put('@eaDir/j.jpg');
  put('sub/k.HEIC'); // not a supported format
  symlinkSync(root, join(root, 'sub', 'loop')); // a loop back to the root
  symlinkSync(join(root, 'missing-target.jpg'), join(root, 'dangling.jpg'));
  return root;
}

const rel = (root: string, paths: string[]) => paths.map((p) => p.slice(root.length + 1)).sort();

describe('walkImages', () => {
  it('finds image files recursively, skipping hidden/system entries and other types; reports loops and bad names', async () => {
    const root = tree();
    writeFileSync(Buffer.from(`${root}/sub/bad-\xff.jpg`, 'latin1'), 'x'); // not valid UTF-8
    const found: FoundFile[] = [];
    const skipped: SkippedEntry[] = [];
    for await (const f of walkImages(root, (e) => skipped.push(e))) found.push(f);
    expect(
      rel(
        root,
        found.map((f) => f.path),
      ),
    ).toEqual([
      'B.JPEG',
      'a.jpg',
      'f.avif',
      'g.gif',
      'h.bmp',
      'sub/c.png',
      'sub/deeper/d.webp',
      'sub/e.tiff',
      'sub/k.HEIC',
    ]);
    expect(found.find((f) => f.path.endsWith('k.HEIC'))?.error).toMatch(/^unsupported format \(HEIC\)/);
    expect(found.filter((f) => f.error)).toHaveLength(1);
    expect(
      skipped.map((e) => [e.path.slice(root.length + 1), e.reason.split(' (')[0].split(':')[0]]).sort(),
    ).toEqual([
      ['sub/bad-\uFFFD.jpg', 'name is not valid UTF-8'],
      ['sub/loop', 'link to a folder already scanned'],
    ]);
  });

  it('records a file over the size limit with the reason, without reading it', async () => {
    const root = tempDir('cs-scan-big-');
    writeFileSync(join(root, 'small.jpg'), 'x');
    writeFileSync(join(root, 'big.jpg'), '');
    truncateSync(join(root, 'big.jpg'), 3 * 2 ** 20); // sparse
    const before = process.env.CAPTION_STUDIO_MAX_FILE_MB;
    process.env.CAPTION_STUDIO_MAX_FILE_MB = '1';
    try {
      const found: FoundFile[] = [];
      for await (const f of walkImages(root)) found.push(f);
      expect(found.find((f) => f.path.endsWith('big.jpg'))?.error).toBe(
        'file too large (3.0 MB; the limit is 1.0 MB, set CAPTION_STUDIO_MAX_FILE_MB to change it)',
      );
      expect(found.find((f) => f.path.endsWith('small.jpg'))?.error).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env.CAPTION_STUDIO_MAX_FILE_MB;
      else process.env.CAPTION_STUDIO_MAX_FILE_MB = before;
    }
  });
});

describe('scanFolder', () => {
  it('records files, then rescans incrementally by size and mtime', async () => {
    const root = tree();
    const db = openDatabase(databasePath(tempDir('cs-data-')));
    const first = await scanFolder(db, root);
    expect(first).toMatchObject({ found: 9, added: 9, changed: 0, unchanged: 0, missing: 0 });

    const again = await scanFolder(db, root);
    expect(again).toMatchObject({ found: 9, added: 0, changed: 0, unchanged: 9, missing: 0 });

    writeFileSync(join(root, 'a.jpg'), 'changed content');
    utimesSync(join(root, 'sub/c.png'), new Date(), new Date(Date.now() + 5000));
    rmSync(join(root, 'g.gif'));
    renameSync(join(root, 'h.bmp'), join(root, 'sub', 'h2.bmp'));
    const third = await scanFolder(db, root);
    expect(third).toMatchObject({ found: 8, added: 1, changed: 2, unchanged: 5, missing: 2 });
    const byPath = new Map(
      filesOfRoot(db, first.root.id).map((f) => [f.path.slice(root.length + 1), f.status]),
    );
    expect(byPath.get('g.gif')).toBe('missing');
    expect(byPath.get('a.jpg')).toBe('new');

    writeFileSync(join(root, 'g.gif'), 'x'); // back, but with a new mtime: seen as changed
    const fourth = await scanFolder(db, root);
    expect(fourth.missing).toBe(0);
    expect(filesOfRoot(db, first.root.id).find((f) => f.path.endsWith('g.gif'))?.status).toBe('new');
    db.close();
  });

  it('refuses a path that is not a folder, naming it', async () => {
    const db = openDatabase(databasePath(tempDir('cs-data-')));
    await expect(scanFolder(db, '/definitely/not/here')).rejects.toThrow(
      '/definitely/not/here: not a folder',
    );
    db.close();
  });
});
