/**
 * The served mode against other web pages: a foreign `Host` (DNS rebinding) and a foreign `Origin`
 * are refused, every answer carries the security headers, the long-lived token is taken from the
 * Authorization header only and images go by short-lived sealed grants, and `--exports-dir`
 * confines exports. A real server on loopback with a real studio.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { GRANT_MS, grants } from './grants.ts';
import { hostRule } from './guard.ts';
import { serve } from './http.ts';

let port: number;
let token: string;
let fileId: number;
let exportsDir: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const studio = openTestStudio();
  const root = await addLibrary(studio, 2);
  await captionRoot(studio, root.id);
  fileId = (await call(studio, 'library.images', { rootId: root.id })).items[0].fileId;
  exportsDir = realpathSync(tempDir('cs-exports-'));
  const renderer = tempDir('cs-srv-ui-');
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>ui</title>');
  const server = await serve({ ...studio, rendererDir: renderer, exportsDir });
  token = server.token;
  port = Number(new URL(server.url).port);
  close = async () => {
    await server.close();
    await studio.close();
  };
});
afterAll(() => close?.());

/** A request with exactly these headers (fetch will not send a chosen Host). */
function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}
const bearer = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const post = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(`/api/${channel}`, { ...bearer(), ...headers }, 'POST', JSON.stringify(body));
const grantFor = async (t: string) =>
  JSON.parse((await raw('/api/grant', { authorization: `Bearer ${t}` }, 'POST')).body).value.grant as string;

describe('Host and Origin', () => {
  it('answers only for the address served and its localhost forms (DNS rebinding gets 421)', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`])
      expect((await post('library.roots', {}, { host })).status, host).toBe(200);
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `localhost.evil.example:${port}`,
      `user@127.0.0.1:${port}`,
    ]) {
      for (const path of ['/', '/api/library.roots', `/media/${fileId}`]) {
        const r = await raw(path, { ...bearer(), host }, path.startsWith('/api') ? 'POST' : 'GET', '{}');
        expect(r.status, `${host} ${path}`).toBe(421);
        expect(r.body).not.toContain('<title>');
      }
    }
  });

  it('refuses a state-changing request from another origin with 403, and nothing is done', async () => {
    const before = JSON.parse((await post('library.roots', {})).body).value.length;
    const folder = tempDir('cs-origin-');
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${port}`,
      'null',
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port + 1}`,
    ]) {
      const r = await post('library.addRoot', { path: folder }, { origin });
      expect(r.status, origin).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/origin/);
    }
    expect(JSON.parse((await post('library.roots', {})).body).value).toHaveLength(before);
    // its own origin, in each localhost form, is served
    expect((await post('library.roots', {}, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    expect(
      (await post('library.roots', {}, { origin: `http://localhost:${port}`, host: `localhost:${port}` }))
        .status,
    ).toBe(200);
  });

  it('a server on every interface answers any IP address at its port, never another name', () => {
    const ok = hostRule('0.0.0.0', 8080);
    expect(['192.168.1.5:8080', '[fe80::1]:8080', 'localhost:8080', '10.0.0.1:8080'].map(ok)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['evil.example:8080', '192.168.1.5:8081', '192.168.1.5', undefined].map(ok)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const lan = hostRule('192.168.1.5', 80);
    expect(['192.168.1.5', '192.168.1.5:80', '127.0.0.1:80', 'evil.example'].map(lan)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('headers', () => {
  const EXPECTED = {
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  it('every kind of answer carries the security headers: page, API, error, image, event stream, refusal', async () => {
    const answers = {
      page: await raw('/', {}),
      api: await post('library.roots', {}),
      error: await post('library.images', { limit: 'x' }),
      unauthorised: await raw(`/media/${fileId}`, {}),
      image: await raw(`/media/${fileId}`, bearer()),
      thumb: await raw(`/thumb/${fileId}`, bearer()),
      misdirected: await raw('/', { host: 'evil.example' }),
    };
    expect(answers.image.status).toBe(200);
    for (const [what, r] of Object.entries(answers)) {
      expect(r.headers, what).toMatchObject(EXPECTED);
      expect(r.headers['content-security-policy'], what).toMatch(/frame-ancestors 'none'.*base-uri 'none'/);
    }
    const events = await new Promise<Record<string, unknown>>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: bearer() }, (res) => {
        resolve(res.headers);
        req.destroy();
      });
      req.end();
    });
    expect(events).toMatchObject({ ...EXPECTED, 'content-type': 'text/event-stream' });
  });
});

describe('tokens and grants', () => {
  it('the long-lived token is never taken from a URL; images and events go by a grant', async () => {
    for (const path of [
      `/media/${fileId}?token=${token}`,
      `/thumb/${fileId}?token=${token}`,
      `/api/events?token=${token}`,
    ])
      expect((await raw(path, {})).status, path).toBe(401);
    const grant = await grantFor(token);
    expect(grant).not.toContain(token);
    expect(Buffer.from(grant, 'base64url').toString('latin1')).not.toContain(token);
    expect((await raw(`/media/${fileId}?grant=${grant}`, {})).status).toBe(200);
    expect((await raw(`/thumb/${fileId}?grant=${grant}`, {})).status).toBe(200);
    // altered in any place, or used for a call: refused
    const flipped = (i: number) => {
      const b = Buffer.from(grant, 'base64url');
      b[i] ^= 1;
      return b.toString('base64url');
    };
    for (const i of [0, 13, 30, Buffer.from(grant, 'base64url').length - 1])
      expect((await raw(`/media/${fileId}?grant=${flipped(i)}`, {})).status, `byte ${i}`).toBe(401);
    const call = await raw(
      `/api/library.roots?grant=${grant}`,
      { 'content-type': 'application/json' },
      'POST',
      '{}',
    );
    expect(call.status).toBe(401);
    // a grant is made only for a caller the server knows
    expect((await raw('/api/grant', { authorization: 'Bearer nope' }, 'POST')).status).toBe(401);
  });

  it("a rater's grant reaches that link's images only, and dies with the link", async () => {
    const session = JSON.parse(
      (await post('sessions.create', { name: 's', rootId: 1, limit: 1 })).body,
    ).value;
    const link = JSON.parse(
      (await post('raters.invite', { rater: 'ria', sessions: [session.id] })).body,
    ).value;
    const item = JSON.parse(
      (
        await raw(
          '/api/sessions.item',
          { ...bearer(), authorization: `Bearer ${link.token}` },
          'POST',
          JSON.stringify({ sessionId: session.id, rater: 'x' }),
        )
      ).body,
    ).value;
    const other = item.file.fileId === fileId ? fileId + 1 : fileId;
    const grant = await grantFor(link.token);
    expect((await raw(`/media/${item.file.fileId}?grant=${grant}`, {})).status).toBe(200);
    expect((await raw(`/media/${other}?grant=${grant}`, {})).status).toBe(403);
    expect((await raw(`/api/events?grant=${grant}`, {})).status).toBe(403);
    expect((await post('raters.revoke', { id: link.id })).status).toBe(200);
    expect((await raw(`/media/${item.file.fileId}?grant=${grant}`, {})).status).toBe(401);
  });

  it('a grant lapses after GRANT_MS, and one from another server is worthless', () => {
    let now = 1_000_000;
    const g = grants(() => now);
    const { grant } = g.issue('the-token');
    expect(g.open(grant)).toBe('the-token');
    now += GRANT_MS - 1;
    expect(g.open(grant)).toBe('the-token');
    now += 2;
    expect(g.open(grant)).toBeUndefined();
    expect(grants(() => 0).open(g.issue('the-token').grant)).toBeUndefined();
    for (const junk of ['', 'x', 'a'.repeat(100), '../../etc/passwd']) expect(g.open(junk)).toBeUndefined();
  });
});

describe('--exports-dir', () => {
  it('writes exports inside the folder only: a relative path lands in it; outside, links out and beside the images are 403', async () => {
    const inside = await post('export.run', { format: 'csv', out: 'captions.csv' });
    expect(inside.status, inside.body).toBe(200);
    expect(existsSync(join(exportsDir, 'captions.csv'))).toBe(true);
    const abs = await post('export.run', { format: 'csv', out: join(exportsDir, 'sub', 'c.csv') });
    expect(abs.status, abs.body).toBe(200);
    const outside = tempDir('cs-not-exports-');
    mkdirSync(join(exportsDir, 'ds'));
    symlinkSync(outside, join(exportsDir, 'ds', 'out'));
    symlinkSync(join(outside, 'gone'), join(exportsDir, 'dangling'));
    for (const out of [
      join(outside, 'x.csv'),
      '../x.csv',
      `${exportsDir}/../x.csv`,
      '~/x.csv',
      '/etc/x.csv',
      `${exportsDir}-sibling/x.csv`,
      'ds/out/x.csv',
      'dangling',
    ]) {
      for (const channel of ['export.run', 'export.preview']) {
        const r = await post(channel, { format: 'csv', out, overwrite: true });
        expect(r.status, `${channel} ${out}: ${r.body}`).toBe(403);
        expect(JSON.parse(r.body).error).toContain(exportsDir);
      }
    }
    expect((await post('export.run', { format: 'sidecars', beside: true })).status).toBe(403);
    expect(readdirSync(outside)).toEqual([]);
  });
});
