/**
 * Served mode under attack: a real `caption-studio serve` process, its owner token and a rater's
 * link made by the real `invite` command. Every channel of the contract with each role (the table
 * below must name them all), path traversal in many encodings, hidden, non-image and FIFO files in
 * a library folder, exports aimed at the user's own folders, and a fuzz corpus: bad input is
 * always 4xx, never 5xx.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel, contract, RATER_CHANNELS } from '../electron/core/api/contract.ts';
import type { ImageRow, SessionItem } from '../electron/core/api/types.ts';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { REPO, type Studio, startStudio } from './harness.ts';
import { type Ids, type Row, roleTable } from './roles.ts';

const SECRET = 'root:SECRET-CONTENT';
let studio: Studio;
let rater: string; // the rater link's token
let lib: string;
let ids: Ids;
let TABLE: Record<Channel, Row>;

/** A request with the path exactly as given (fetch would normalise `..`). */
function raw(path: string, token: string, method = 'GET', body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(studio.base);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: b }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
const api = (token: string, channel: string, body: unknown) =>
  raw(`/api/${channel}`, token, 'POST', JSON.stringify(body));

beforeAll(async () => {
  studio = await startStudio({ HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
  lib = tempDir('cs-sec-lib-');
  await writeGoodImages(join(lib, 'a'), 3);
  await writeGoodImages(join(lib, 'b'), 6);
  // b's own images only: the first three are a's again
  const inA = new Set(
    readdirSync(join(lib, 'a')).map((f) => readFileSync(join(lib, 'a', f)).toString('base64')),
  );
  for (const f of readdirSync(join(lib, 'b')))
    if (inA.has(readFileSync(join(lib, 'b', f)).toString('base64'))) rmSync(join(lib, 'b', f));
  for (const [name, body] of [
    ['.env', SECRET],
    ['id_rsa', SECRET],
    ['a/.hidden.jpg', SECRET],
    ['a/notes.txt', SECRET],
  ])
    writeFileSync(join(lib, name), body);
  execFileSync('mkfifo', [join(lib, 'a', 'fifo.jpg')]);
  writeFileSync(
    join(lib, 'a', 'swap.jpg'),
    readFileSync(join(lib, 'a', readdirSync(join(lib, 'a')).sort()[0])),
  );
  const a = await studio.call<{ id: number }>('library.addRoot', { path: join(lib, 'a') });
  const b = await studio.call<{ id: number }>('library.addRoot', { path: join(lib, 'b') });
  await studio.captionAll(a.id, {});
  await studio.captionAll(b.id, {});
  const S = (await studio.call<{ id: number }>('sessions.create', { name: 'invited', rootId: a.id })).id;
  const X = (await studio.call<{ id: number }>('sessions.create', { name: 'not invited', rootId: b.id })).id;
  const itemS = await studio.call<SessionItem>('sessions.item', { sessionId: S, rater: 'owner' });
  const itemX = await studio.call<SessionItem>('sessions.item', { sessionId: X, rater: 'owner' });
  const rows = (await studio.call<{ items: ImageRow[] }>('library.images', { rootId: a.id })).items;
  ids = {
    S,
    X,
    fileS: itemS.file.fileId,
    fileX: itemX.file.fileId,
    candS: itemS.candidates[0].id,
    candX: itemX.candidates[0].id,
    swap: rows.find((r) => r.rel === 'swap.jpg')!.fileId,
  };
  const invite = spawnSync(
    process.execPath,
    [
      join(REPO, 'bin/caption-studio.mjs'),
      'invite',
      '--rater',
      'ria',
      '--session',
      String(S),
      '--data-dir',
      studio.dataDir,
    ],
    { encoding: 'utf8' },
  );
  expect(invite.stderr).toBe('');
  const link = new URL(invite.stdout.split('\n')[0]);
  expect(link.origin).toBe(studio.base); // the running server's address, from its data dir
  rater = link.searchParams.get('token')!;
  TABLE = roleTable(ids, lib);
}, 180_000);
afterAll(() => studio?.stop());

describe('roles', () => {
  it('the table names every channel, and a rater reaches exactly RATER_CHANNELS', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...CHANNELS].sort());
    expect(CHANNELS.filter((c) => TABLE[c].rater !== 403).sort()).toEqual([...RATER_CHANNELS].sort());
  });

  it('every channel, with each role: the owner is served, the rater only where the table says', async () => {
    for (const c of CHANNELS) {
      const { req, owner, rater: expected } = TABLE[c];
      const o = await api(studio.token, c, req());
      if (typeof owner === 'number') expect(o.status, `owner ${c}: ${o.body}`).toBe(owner);
      else expect(owner(o.status), `owner ${c}: ${o.status} ${o.body}`).toBe(true);
      const r = await api(rater, c, req());
      expect(r.status, `rater ${c}: ${r.body}`).toBe(expected);
    }
    expect(readFileSync(join(lib, 'id_rsa'), 'utf8')).toBe(SECRET); // the export was refused
  });

  it("a rater's link: its own sessions, images and name only; /etc and the rest are 403", async () => {
    const listed = JSON.parse((await api(rater, 'sessions.list', {})).body).value as { id: number }[];
    expect(listed.map((s) => s.id)).toEqual([ids.S]);
    expect((await api(rater, 'sessions.item', { sessionId: ids.X, rater: 'ria' })).status).toBe(403);
    const other = { sessionId: ids.X, rater: 'ria', candidateId: ids.candX, value: 5 };
    expect((await api(rater, 'ratings.set', other)).status).toBe(403);
    expect((await api(rater, 'candidate.edit', { candidateId: ids.candX, text: 'x' })).status).toBe(403);
    expect((await api(rater, 'library.addRoot', { path: '/etc' })).status).toBe(403);
    expect((await api(rater, 'eval.importReferences', { path: '/etc/passwd' })).status).toBe(403);
    expect((await raw('/api/events', rater)).status).toBe(403);
    expect((await raw(`/media/${ids.fileS}`, rater)).status).toBe(200);
    expect((await raw(`/thumb/${ids.fileS}`, rater)).status).toBe(200);
    expect((await raw(`/media/${ids.fileX}`, rater)).status).toBe(403);
    // the name comes from the link, whatever the request says
    const set = { sessionId: ids.S, rater: 'mallory', candidateId: ids.candS, value: 4 };
    expect((await api(rater, 'ratings.set', set)).status).toBe(200);
    const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
    const names = db
      .prepare('SELECT DISTINCT r.name FROM ratings x JOIN raters r ON r.id = x.rater_id ORDER BY 1')
      .all()
      .map((r) => (r as { name: string }).name);
    db.close();
    expect(names).toContain('ria');
    expect(names).not.toContain('mallory');
  });

  it('tokens are stored hashed; a revoked link is refused at once', async () => {
    const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT token_hash FROM rater_links').all() as { token_hash: string }[];
    db.close();
    expect(stored.map((s) => s.token_hash)).not.toContain(rater);
    expect(JSON.stringify(stored)).not.toContain(rater);
    const extra = JSON.parse(
      (await api(studio.token, 'raters.invite', { rater: 'tom', sessions: [ids.S] })).body,
    ).value as { id: number; token: string };
    expect((await api(extra.token, 'sessions.list', {})).status).toBe(200);
    expect((await api(studio.token, 'raters.revoke', { id: extra.id })).status).toBe(200);
    expect((await api(extra.token, 'sessions.list', {})).status).toBe(401);
    expect((await raw(`/media/${ids.fileS}`, extra.token)).status).toBe(401);
  });
});

describe('files', () => {
  it('path traversal in every encoding is refused, for both roles, and never reaches a file', async () => {
    const attempts = [
      '/media/..%2f..%2f..%2fetc%2fpasswd',
      '/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/media/..%252f..%252fetc%252fpasswd',
      '/media/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd',
      '/media/1/../../../../etc/passwd',
      '/media/..\\..\\..\\etc\\passwd',
      '/media/%2fetc%2fpasswd',
      '/media//etc/passwd',
      '/media/1%00.jpg',
      '/media/%E0%A4%A',
      '/media/1;/etc/passwd',
      '/media/0x1',
      '/media/1e0',
      '/media/%u002e%u002e/etc/passwd',
      '/thumb/..%2f..%2fetc%2fshadow?size=256',
      '/thumb/1?size=../../etc/passwd',
    ];
    for (const token of [studio.token, rater])
      for (const p of attempts) {
        const r = await raw(p, token);
        // refused, or (`..` resolved by the URL parser to a path outside /media) the app's page
        const page = r.status === 200 && r.body.startsWith('<!doctype html>');
        expect(page || [400, 404].includes(r.status), `${p}: ${r.status} ${r.body}`).toBe(true);
        expect(r.body).not.toContain('root:');
      }
  });

  it('hidden, non-image and FIFO files are never recorded or served; a file swapped for a FIFO is refused', async () => {
    const rows = JSON.parse((await api(studio.token, 'library.images', { limit: 1000 })).body).value
      .items as ImageRow[];
    const names = rows.map((r) => r.rel);
    for (const n of ['.env', 'id_rsa', '.hidden.jpg', 'notes.txt', 'fifo.jpg'])
      expect(names).not.toContain(n);
    const max = Math.max(...rows.map((r) => r.fileId));
    for (let id = 1; id <= max + 5; id++)
      expect((await raw(`/media/${id}`, studio.token)).body).not.toContain(SECRET);
    rmSync(join(lib, 'a', 'swap.jpg'));
    execFileSync('mkfifo', [join(lib, 'a', 'swap.jpg')]);
    expect((await raw(`/media/${ids.swap}`, studio.token)).status).toBe(404);
    expect((await raw(`/thumb/${ids.swap}`, studio.token)).status).toBe(404);
    expect((await raw(`/media/${ids.fileS}`, studio.token)).status).toBe(200); // still serving
  });

  it('an export aimed at a folder or file no export wrote is refused with overwrite, and leaves it intact', async () => {
    const mine = tempDir('cs-sec-mine-');
    mkdirSync(join(mine, 'holiday'));
    writeFileSync(join(mine, 'holiday', 'keep.jpg'), SECRET);
    const folder = await api(studio.token, 'export.run', {
      format: 'imagefolder',
      out: join(mine, 'holiday'),
      overwrite: true,
    });
    expect(folder.status).toBe(409);
    const file = await api(studio.token, 'export.run', {
      format: 'csv',
      out: join(mine, 'holiday', 'keep.jpg'),
      overwrite: true,
    });
    expect(file.status).toBe(409);
    expect(readdirSync(join(mine, 'holiday'))).toEqual(['keep.jpg']);
    expect(readFileSync(join(mine, 'holiday', 'keep.jpg'), 'utf8')).toBe(SECRET);
  });
});

describe('fuzz corpus', () => {
  const JUNK: unknown[] = [
    null,
    -1,
    0,
    1.5,
    '1',
    '',
    'x'.repeat(5000),
    {},
    [],
    true,
    '../../../etc/passwd',
    2 ** 53,
    { $gt: 0 },
  ];

  it('every channel and field with junk, whole bodies of every type, for both roles: 4xx, never 5xx', async () => {
    const statuses = new Map<number, number>();
    const note = (s: number, what: string) => {
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
      expect(s, what).toBeLessThan(500);
    };
    for (const token of [studio.token, rater])
      for (const c of CHANNELS) {
        for (const body of [...JUNK, 'not json {']) {
          const r = await raw(
            `/api/${c}`,
            token,
            'POST',
            typeof body === 'string' && body.startsWith('not') ? body : JSON.stringify(body),
          );
          note(r.status, `${c} ${JSON.stringify(body).slice(0, 40)}: ${r.body.slice(0, 200)}`);
        }
        for (const field of Object.keys(contract[c].shape))
          for (const v of JUNK) {
            const r = await api(token, c, { [field]: v });
            note(r.status, `${c}.${field}=${JSON.stringify(v).slice(0, 40)}: ${r.body.slice(0, 200)}`);
          }
      }
    expect((await raw('/api/library.roots', studio.token, 'POST', 'x'.repeat(2 << 20))).status).toBe(413);
    note((await raw('/api/library.roots', studio.token, 'GET')).status, 'GET on the API');
    note((await raw('/api/library.roots', 'wrong', 'POST', '{}')).status, 'wrong token');
    expect([...statuses.keys()].every((s) => [200, 400, 401, 403, 404, 405, 409, 413, 422].includes(s))).toBe(
      true,
    );
    expect(statuses.get(400)).toBeGreaterThan(500);
  }, 300_000);

  /** NUL, other C0 and C1 control characters and an escape sequence, alone and inside text. */
  const CONTROL = [
    '\u0000',
    'a\u0000b',
    '/tmp/cs-x\u0000.csv',
    '\u0001\u001f',
    '\u007f',
    '\u0085',
    'x\r\ny',
    '\u001b[31m',
  ];
  /** the fields that name a file, a folder or a model (which may be a folder) */
  const PATHS = new Set(['path', 'out', 'repo', 'ref', 'model']);
  /** the keys of an object field (through optional and default), to reach nested strings */
  const keysOf = (schema: unknown): string[] => {
    let s = schema as { shape?: object; unwrap?: () => unknown; def?: { innerType?: unknown } };
    for (let i = 0; i < 4 && s && !s.shape; i++) s = (s.def?.innerType ?? s.unwrap?.()) as typeof s;
    return s?.shape ? Object.keys(s.shape) : [];
  };

  it('NUL and control characters in every string field of every channel, for both roles: never 5xx; a path is a 400 naming its field', async () => {
    let sent = 0;
    for (const token of [studio.token, rater])
      for (const c of CHANNELS) {
        const base = TABLE[c].req() as Record<string, unknown>;
        const shape = contract[c].shape as Record<string, unknown>;
        for (const field of Object.keys(shape))
          for (const v of CONTROL) {
            const nested = Object.fromEntries(keysOf(shape[field]).map((k) => [k, v]));
            const bodies = [
              { [field]: v },
              { [field]: [v] },
              ...(Object.keys(nested).length ? [{ [field]: nested }] : []),
            ];
            for (const change of bodies) {
              const r = await api(token, c, { ...base, ...change });
              sent++;
              const what = `${c}.${field}=${JSON.stringify(change[field])}: ${r.body.slice(0, 200)}`;
              expect(r.status, what).toBeLessThan(500);
              if (r.status >= 400) expect(r.body, what).not.toContain(`${REPO}/`);
              if (token === studio.token && PATHS.has(field) && typeof change[field] === 'string') {
                expect(r.status, what).toBe(400);
                expect(JSON.parse(r.body).field, what).toBe(field);
              }
            }
          }
      }
    expect(sent).toBeGreaterThan(2000);
  }, 300_000);
});
