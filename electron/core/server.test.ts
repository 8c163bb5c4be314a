/** The served mode refuses requests without the token and paths outside library roots. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../db/open.ts';
import { createHandlers } from './api/handlers.ts';
import { CaptionEngine } from './inference/engine.ts';
import { DEFAULT_BUNDLE } from './inference/test-fixtures.ts';
import { serve } from './server.ts';
import { sceneFiles, tempDir } from './testing/fixtures.ts';

let base: string;
let token: string;
let close: () => Promise<void>;
let rootId: number;
const outside = tempDir('cs-outside-');

beforeAll(async () => {
  const lib = tempDir('cs-srv-lib-');
  mkdirSync(join(lib, 'sub'));
  writeFileSync(
    join(lib, 'sub', 'a.png'),
    Buffer.from(await import('node:fs').then((fs) => fs.readFileSync(sceneFiles()[0]))),
  );
  writeFileSync(join(outside, 'secret.png'), 'secret');
  symlinkSync(join(outside, 'secret.png'), join(lib, 'escape.png')); // a link leading out of the root
  symlinkSync(outside, join(lib, 'escape-dir'));
  const renderer = tempDir('cs-srv-ui-');
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>ui</title>');
  const dataDir = tempDir('cs-srv-data-');
  const db = openDatabase(databasePath(dataDir));
  const core = createHandlers({
    db,
    engine: () => CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 }),
  });
  const server = await serve({
    db,
    handlers: core.handlers,
    rendererDir: renderer,
    thumbsDir: join(dataDir, 'thumbs'),
  });
  token = server.token;
  base = server.url.replace(/\/\?token=.*$/, '');
  const added = await core.handlers['library.addRoot']({ path: lib });
  rootId = added.id;
  close = async () => {
    await server.close();
    await core.close();
    db.close();
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
    expect((await fetch(`${base}/media/${rootId}/sub/a.png`)).status).toBe(401);
    expect((await fetch(`${base}/thumb/${rootId}/sub/a.png`)).status).toBe(401);
    const ok = await api('library.roots', {}, auth());
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { value: unknown[] }).value).toHaveLength(1);
    expect((await fetch(`${base}/media/${rootId}/sub/a.png?token=${token}`)).status).toBe(200);
  });

  it('serves image bytes only from inside library roots', async () => {
    const get = (rel: string) => fetch(`${base}/media/${rootId}/${rel}?token=${token}`);
    const inside = await get('sub/a.png');
    expect(inside.status).toBe(200);
    expect(inside.headers.get('content-type')).toBe('image/png');
    expect((await get('sub/..%2F..%2F..%2Fetc%2Fpasswd')).status).toBe(403);
    expect((await get('..%2F..%2Fetc%2Fpasswd')).status).toBe(403);
    expect((await get('%2Fetc%2Fpasswd')).status).toBe(400);
    expect((await get('escape.png')).status).toBe(403);
    expect((await get('escape-dir/secret.png')).status).toBe(403);
    expect((await get('no-such.png')).status).toBe(404);
    expect((await fetch(`${base}/media/999/sub/a.png?token=${token}`)).status).toBe(404);
    const thumb = await fetch(`${base}/thumb/${rootId}/sub/a.png?token=${token}`);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect((await fetch(`${base}/thumb/${rootId}/escape.png?token=${token}`)).status).toBe(403);
  });

  it('validates every call at the boundary and reports errors as values naming the field', async () => {
    const r = await (await api('library.images', { limit: 'lots' }, auth())).json();
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/library\.images: field 'limit'/) });
    const extra = (await (await api('library.roots', { sneaky: 1 }, auth())).json()) as { ok: boolean };
    expect(extra.ok).toBe(false);
    const unknown = await (await api('fs.readFile', {}, auth())).json();
    expect(unknown).toEqual({ ok: false, error: "unknown channel 'fs.readFile'" });
    const missing = await (await api('image.get', { fileId: 12345 }, auth())).json();
    expect(missing).toEqual({ ok: false, error: 'no image file with id 12345' });
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
