/**
 * Decompression bombs asked for as thumbnails from a real `caption-studio serve` process: each
 * crafted file (test/fixtures/images.ts `writeBombs`) answers 4xx within a second, read from its
 * header, while other requests (a good image's thumbnail, an API call) are served alongside.
 * Before the guard, `/thumb` of the 1,080-byte RLE8 BMP held the whole server for ~36 s at 3 GB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../electron/core/api/types.ts';
import { tempDir, writeBombs, writeGoodImages } from '../test/fixtures/images.ts';
import { type Studio, startStudio } from './harness.ts';

let studio: Studio;
let ids: Record<string, number>;

beforeAll(async () => {
  studio = await startStudio({ HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
  const lib = tempDir('cs-bomb-lib-');
  await writeGoodImages(lib, 2);
  writeBombs(lib);
  const root = await studio.call<{ id: number }>('library.addRoot', { path: lib });
  const rows = (await studio.call<{ items: ImageRow[] }>('library.images', { rootId: root.id, limit: 100 }))
    .items;
  ids = Object.fromEntries(rows.map((r) => [r.rel, r.fileId]));
}, 120_000);
afterAll(() => studio?.stop());

/** A request with the owner's token (GET, or POST {} to an API channel): status, body, time taken. */
async function timed(path: string) {
  const t = performance.now();
  const post = path.startsWith('/api/') ? { method: 'POST', body: '{}' } : {};
  const res = await fetch(`${studio.base}${path}`, {
    ...post,
    headers: { authorization: `Bearer ${studio.token}`, 'content-type': 'application/json' },
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t };
}

describe('thumbnails of decompression bombs', () => {
  it('the RLE8 BMP bomb answers 422 within 1 s while a good thumbnail and an API call are served', async () => {
    const [bomb, good, api] = await Promise.all([
      timed(`/thumb/${ids['bomb-rle8.bmp']}?size=256`),
      timed(`/thumb/${ids['img-000.png']}?size=256`),
      timed('/api/auth.me'),
    ]);
    expect(bomb.status).toBe(422);
    expect(JSON.parse(bomb.body).error).toMatch(/bmp image declares 30000x30000 \(900 megapixels\)/);
    expect(bomb.ms).toBeLessThan(1000);
    expect(good.status).toBe(200);
    expect(good.ms).toBeLessThan(1000);
    expect([api.status, api.ms < 1000]).toEqual([200, true]);
  });

  it('every crafted file, asked for all at once, is 4xx within 1 s; the server answers throughout', async () => {
    const crafted = Object.keys(ids).filter((rel) => !rel.startsWith('img-'));
    expect(crafted).toHaveLength(11);
    const started = performance.now();
    const answers = await Promise.all([
      ...crafted.map((rel) => timed(`/thumb/${ids[rel]}?size=512`).then((a) => ({ rel, ...a }))),
      timed(`/thumb/${ids['img-001.png']}?size=512`).then((a) => ({ rel: 'img-001.png', ...a })),
    ]);
    for (const a of answers) {
      if (a.rel.startsWith('img-')) expect(a.status, a.rel).toBe(200);
      else expect([a.rel, a.status >= 400 && a.status < 500]).toEqual([a.rel, true]);
      expect(a.ms, a.rel).toBeLessThan(1000);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('originals the browser would decode are under the same limit; good ones are served as they are', async () => {
    for (const rel of ['bomb.png', 'bomb.gif', 'bomb.webp', 'bomb-rle8.bmp']) {
      const a = await timed(`/media/${ids[rel]}`);
      expect([rel, a.status]).toEqual([rel, 422]);
      expect(JSON.parse(a.body).error).toMatch(/image declares \d+x\d+/);
    }
    expect((await timed(`/media/${ids['img-000.png']}`)).status).toBe(200);
  });
});
