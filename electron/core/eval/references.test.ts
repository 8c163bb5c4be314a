/**
 * Reference import against a real served studio (`caption-studio serve` as a child process): only
 * regular files within the size limit are read, a FIFO, a device, a folder or a huge file is refused
 * at once with a 4xx naming the file while the server keeps answering, and an error never quotes
 * the file's content. And an export's progress reaches browsers as server-sent events.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Studio, startStudio } from '../../../e2e/harness.ts';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { MAX_REFERENCE_BYTES } from './reference-file.ts';

let studio: Studio;
let dir: string;

/** One API call: its status, body and how long it took. */
async function timed(channel: string, body: unknown) {
  const started = performance.now();
  const r = await fetch(`${studio.base}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${studio.token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await r.json()) as { ok: boolean; error?: string };
  return { status: r.status, json, ms: performance.now() - started };
}

beforeAll(async () => {
  studio = await startStudio({ HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
  dir = tempDir('cs-refs-bad-');
  await writeGoodImages(join(dir, 'photos'), 2);
  const root = await studio.call<{ id: number }>('library.addRoot', { path: join(dir, 'photos') });
  await studio.captionAll(root.id, {}); // images are known by content once captioned
}, 120_000);
afterAll(() => studio?.stop());

describe('reference import', () => {
  it('a FIFO, /dev/zero, a folder and a 2 GB sparse file: 4xx within 1 s naming the file, server responsive', async () => {
    const fifo = join(dir, 'refs-fifo.tsv');
    execFileSync('mkfifo', [fifo]); // no writer ever opens it: reading it would wait forever
    const sparse = join(dir, 'huge.tsv');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, 2 * 2 ** 30); // 2 GB of holes: no disk used
    closeSync(fd);
    const folder = join(dir, 'refs.json');
    mkdirSync(folder);
    for (const [file, why] of [
      [fifo, /a FIFO: a reference file must be a regular file/],
      ['/dev/zero', /a device: a reference file must be a regular file/],
      [folder, /a folder: a reference file must be a regular file/],
      [sparse, new RegExp(`larger than ${MAX_REFERENCE_BYTES / 2 ** 20} MB`)],
    ] as const) {
      // the server answers another request while (and after) the import is refused
      const [r, roots] = await Promise.all([
        timed('eval.importReferences', { path: file }),
        timed('library.roots', {}),
      ]);
      expect(r.status, `${file}: ${r.json.error}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.json.error).toContain(file);
      expect(r.json.error).toMatch(why);
      expect(r.ms, file).toBeLessThan(1000);
      expect(roots.status).toBe(200);
      expect(roots.ms).toBeLessThan(1000);
    }
  });

  it('a *.json that is not JSON is refused without quoting it; a good file still imports', async () => {
    const secret = 'SECRET-CONTENT-1234 not json at all';
    const bad = join(dir, 'notes.json');
    writeFileSync(bad, secret);
    const r = await timed('eval.importReferences', { path: bad });
    expect(r.status).toBe(422);
    expect(r.json.error).toBe(`${bad}: invalid JSON (not a COCO captions file)`);
    expect(JSON.stringify(r.json)).not.toContain('SECRET');
    const good = join(dir, 'refs.tsv');
    writeFileSync(good, 'img-000.png\ta red circle\nimg-001.png\ttwo shapes\nelsewhere.png\tx\n');
    const ok = await timed('eval.importReferences', { path: good });
    expect(ok.json).toMatchObject({
      ok: true,
      value: { captions: 3, added: 2, matchedImages: 2, unmatched: ['elsewhere.png'] },
    });
  });

  it("an export's progress is pushed to browsers as server-sent events, to the end", async () => {
    const res = await fetch(`${studio.base}/api/events`, {
      headers: { authorization: `Bearer ${studio.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const out = join(dir, 'dataset');
    const run = studio.call('export.run', { format: 'imagefolder', out });
    const reader = res.body!.getReader();
    const views: { state: string; done: number; total: number; target: string }[] = [];
    let text = '';
    while (!views.some((v) => v.state !== 'running')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const frames = text.split('\n\n');
      text = frames.pop()!;
      for (const f of frames) {
        const m = /^event: export\.progress\ndata: (.*)$/s.exec(f);
        if (m) views.push(JSON.parse(m[1]));
      }
    }
    await reader.cancel();
    await run;
    expect(views.at(-1)).toMatchObject({ state: 'done', done: 3, total: 3, target: out }); // 2 photos + metadata.jsonl
  });
});
