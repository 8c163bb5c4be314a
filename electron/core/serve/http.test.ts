/** The served mode refuses requests without the token and paths outside library roots. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFileImage } from '../../../db/queries/library.ts';
import { bmpFile, sceneFiles, tempDir } from '../../../test/fixtures/images.ts';
import { call, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { ImageRow } from '../api/types.ts';
import { serve } from './http.ts';

let base: string;
let token: string;
let close: () => Promise<void>;
let rootId: number;
const fileIds: Record<string, number> = {};
const outside = tempDir('cs-outside-');

beforeAll(async () => {
  const lib = tempDir('cs-srv-lib-');
  mkdirSync(join(lib, 'sub'));
  writeFileSync(
    join(lib, 'sub', 'a.png'),
    Buffer.from(await import('node:fs').then((fs) => fs.readFileSync(sceneFiles()[0]))),
  );
  const rgb = Uint8Array.from({ length: 8 * 6 * 3 }, (_, i) => (i * 11) % 256);
  await sharp(rgb, { raw: { width: 8, height: 6, channels: 3 } })
    .tiff()
    .toFile(join(lib, 't.tiff'));
  writeFileSync(join(lib, 'b.bmp'), bmpFile(rgb, 8, 6));
  writeFileSync(join(outside, 'secret.png'), 'secret');
  symlinkSync(join(outside, 'secret.png'), join(lib, 'escape.png')); // a link leading out of the root
  symlinkSync(outside, join(lib, 'escape-dir'));
  writeFileSync(
    join(lib, 'swap.png'),
    await sharp(rgb, { raw: { width: 8, height: 6, channels: 3 } })
      .png()
      .toBuffer(),
  );
  const renderer = tempDir('cs-srv-ui-');
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>ui</title>');
  const studio = openTestStudio();
  const server = await serve({ ...studio, rendererDir: renderer });
  token = server.token;
  base = server.url.replace(/\/\?token=.*$/, '');
  rootId = (await call(studio, 'library.addRoot', { path: lib })).id;
  for (const row of (await call(studio, 'library.images', { rootId })).items) fileIds[row.rel] = row.fileId;
  // two files read as a caption job reads them: their content hash recorded
  for (const rel of ['sub/a.png', 'b.bmp']) {
    const bytes = readFileSync(join(lib, rel));
    const hash = createHash('sha256').update(bytes).digest('hex');
    setFileImage(studio.db, fileIds[rel], { hash, bytes: bytes.length, width: 8, height: 6, format: 'png' });
  }
  // a file that was an image when scanned and is a link leading out now
  rmSync(join(lib, 'swap.png'));
  symlinkSync(join(outside, 'secret.png'), join(lib, 'swap.png'));
  close = async () => {
    await server.close();
    await studio.close();
  };
});
afterAll(() => close?.());

const api = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const auth = () => ({ authorization: `Bearer ${token}` });

describe('caption-studio serve', () => {
  it('listens on localhost and prints a URL with a long random token', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses API and media requests without the right token', async () => {
    expect((await api('library.roots', {})).status).toBe(401);
    expect((await api('library.roots', {}, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await api('library.roots', {}, { authorization: `Bearer ${token.slice(0, -1)}x` })).status).toBe(
      401,
    );
    expect((await fetch(`${base}/media/${fileIds['sub/a.png']}`)).status).toBe(401);
    expect((await fetch(`${base}/thumb/${fileIds['sub/a.png']}`)).status).toBe(401);
    const ok = await api('library.roots', {}, auth());
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { value: unknown[] }).value).toHaveLength(1);
    expect((await fetch(`${base}/media/${fileIds['sub/a.png']}`, { headers: auth() })).status).toBe(200);
    // the long-lived token is never taken from a URL
    expect((await fetch(`${base}/media/${fileIds['sub/a.png']}?token=${token}`)).status).toBe(401);
  });

  it('serves images by file id, only while the path still leads to a file inside its library folder', async () => {
    const get = (id: number | string, kind = 'media', q = '') =>
      fetch(`${base}/${kind}/${id}${q.replace(/^&/, '?')}`, { headers: auth() });
    const inside = await get(fileIds['sub/a.png']);
    expect(inside.status).toBe(200);
    expect(inside.headers.get('content-type')).toBe('image/png');
    expect(inside.headers.get('content-length')).toBe(String((await inside.arrayBuffer()).byteLength));
    // the scan passed over the links leading out; one made after the scan is refused
    expect(Object.keys(fileIds).filter((rel) => rel.startsWith('escape'))).toEqual([]);
    expect((await get(fileIds['swap.png'])).status).toBe(403);
    expect((await get(fileIds['swap.png'], 'thumb')).status).toBe(403);
    expect((await get(99999)).status).toBe(404);
    for (const bad of ['0', '-1', '1.5', 'abc', '%E0%A4%A', '..%2F..%2Fetc%2Fpasswd'])
      expect((await get(bad)).status, bad).toBe(400);
    const thumb = await get(fileIds['sub/a.png'], 'thumb');
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    // browsers cannot show TIFF: a WebP rendition; BMP as it is, and its thumbnail through bmp-ts
    expect((await get(fileIds['t.tiff'])).headers.get('content-type')).toBe('image/webp');
    expect((await get(fileIds['b.bmp'])).headers.get('content-type')).toBe('image/bmp');
    const bmpThumb = await get(fileIds['b.bmp'], 'thumb');
    expect([bmpThumb.status, bmpThumb.headers.get('content-type')]).toEqual([200, 'image/webp']);
    for (const size of ['-1', '0', '1.5', 'abc', '1e9', '99999'])
      expect((await get(fileIds['sub/a.png'], 'thumb', `&size=${size}`)).status, size).toBe(400);
  });

  it('a thumbnail by content hash is cached for good (with a grant too); everything else is no-store', async () => {
    const rows = (
      (await (await api('library.images', { rootId }, auth())).json()) as { value: { items: ImageRow[] } }
    ).value.items;
    const a = rows.find((r) => r.rel === 'sub/a.png')!;
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    const { grant } = ((await (await api('grant', {}, auth())).json()) as { value: { grant: string } }).value;
    const byHash = await fetch(`${base}/thumb/${a.fileId}/${a.hash}?size=256&grant=${grant}`);
    expect(byHash.status).toBe(200);
    expect(byHash.headers.get('content-type')).toBe('image/webp');
    expect(byHash.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    // the same bytes as the thumbnail without a hash, which is not cached
    const plain = await fetch(`${base}/thumb/${a.fileId}?size=256`, { headers: auth() });
    expect(plain.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await byHash.arrayBuffer()).equals(Buffer.from(await plain.arrayBuffer()))).toBe(true);
    // another image's hash (an old version's) is served as the file is now, not cached
    const other = rows.find((r) => r.rel === 'b.bmp')!;
    const stale = await fetch(`${base}/thumb/${a.fileId}/${other.hash}`, { headers: auth() });
    expect([stale.status, stale.headers.get('cache-control')]).toEqual([200, 'no-store']);
    // originals, API answers and refusals stay no-store; a hash on an original is no such path
    expect((await fetch(`${base}/media/${a.fileId}`, { headers: auth() })).headers.get('cache-control')).toBe(
      'no-store',
    );
    expect((await fetch(`${base}/media/${a.fileId}/${a.hash}`, { headers: auth() })).status).toBe(404);
    const refused = await fetch(`${base}/thumb/${a.fileId}/${a.hash}`);
    expect([refused.status, refused.headers.get('cache-control')]).toEqual([401, 'no-store']);
  });

  it('validates every call at the boundary and reports errors as values naming the field, with a 4xx status', async () => {
    const bad = await api('library.images', { limit: 'lots' }, auth());
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      ok: false,
      status: 400,
      field: 'limit',
      error: expect.stringMatching(/library\.images: field 'limit'/),
    });
    const extra = await api('library.roots', { sneaky: 1 }, auth());
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { ok: boolean }).ok).toBe(false);
    const unknown = await api('fs.readFile', {}, auth());
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, status: 404, error: "unknown channel 'fs.readFile'" });
    const missing = await api('image.get', { fileId: 12345 }, auth());
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ ok: false, status: 404, error: 'no image file with id 12345' });
    // the cross-field decoding rules are field errors too
    const rule = await api(
      'image.recaption',
      { fileId: 1, decoding: { num_beams: 2, num_return_sequences: 3 } },
      auth(),
    );
    expect(rule.status).toBe(400);
    expect(((await rule.json()) as { field: string }).field).toBe('decoding.num_return_sequences');
    // a file it names that cannot be read is the request's fault: 4xx, never 5xx
    const refs = await api('eval.importReferences', { path: join(outside, 'none.tsv') }, auth());
    expect(refs.status).toBe(422);
    expect(((await refs.json()) as { error: string }).error).toMatch(/none\.tsv: cannot read/);
  });

  it('pushes job progress as server-sent events to token holders only', async () => {
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const res = await fetch(`${base}/api/events`, { headers: auth() });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const job = await (await api('jobs.start', { rootId, decoding: {} }, auth())).json();
    expect(job).toMatchObject({ ok: true, value: { rootId, state: 'running' } });
    let text = '';
    while (!/"state":"done"/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/^event: jobs\.progress$/m);
    const last = text.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.split('\ndata: ')[1])).toMatchObject({
      rootId,
      total: 4,
      done: 4,
      captioned: 3, // the PNG, the TIFF and the BMP; the link made after the scan is an error
      errors: 1,
    });
    await reader.cancel();
  });

  it('sends a strict content security policy', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    // static files come only from the built UI: a traversal attempt gets the app, not the file
    for (const p of ['/..%2F..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/etc/passwd']) {
      expect(await (await fetch(`${base}${p}`)).text()).toBe('<!doctype html><title>ui</title>');
    }
  });
});
