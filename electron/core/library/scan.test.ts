import { mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../../db/open.ts';
import { filesOfRoot } from '../../../db/queries/library.ts';
import { tempDir } from '../../../e2e/support/images.ts';
import { scanFolder, walkImages } from './scan.ts';

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
  it('finds image files recursively, skipping hidden/system entries, other types and symlink loops', async () => {
    const root = tree();
    const found: string[] = [];
    for await (const f of walkImages(root)) found.push(f.path);
    expect(rel(root, found)).toEqual([
      'B.JPEG',
      'a.jpg',
      'f.avif',
      'g.gif',
      'h.bmp',
      'sub/c.png',
      'sub/deeper/d.webp',
      'sub/e.tiff',
    ]);
  });
});

describe('scanFolder', () => {
  it('records files, then rescans incrementally by size and mtime', async () => {
    const root = tree();
    const db = openDatabase(databasePath(tempDir('cs-data-')));
    const first = await scanFolder(db, root);
    expect(first).toMatchObject({ found: 8, added: 8, changed: 0, unchanged: 0, missing: 0 });

    const again = await scanFolder(db, root);
    expect(again).toMatchObject({ found: 8, added: 0, changed: 0, unchanged: 8, missing: 0 });

    writeFileSync(join(root, 'a.jpg'), 'changed content');
    utimesSync(join(root, 'sub/c.png'), new Date(), new Date(Date.now() + 5000));
    rmSync(join(root, 'g.gif'));
    renameSync(join(root, 'h.bmp'), join(root, 'sub', 'h2.bmp'));
    const third = await scanFolder(db, root);
    expect(third).toMatchObject({ found: 7, added: 1, changed: 2, unchanged: 4, missing: 2 });
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
