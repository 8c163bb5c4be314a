/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, speaking its HTTP API as `@huggingface/hub`
 * uses it: model info with the commit sha, the recursive file tree (LFS files with their sha256),
 * and `resolve` with ETag / X-Repo-Commit / X-Linked-Size and Range requests. Repositories are
 * folders. For failure tests it can cut a file's first transfer after some bytes, flip a byte of a
 * file (while announcing the true hash), and refuse a gated repository without the right token.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';

export interface HubRepo {
  dir: string;
  /** only this bearer token may read it */
  gatedToken?: string;
}

export interface HubOptions {
  /** the first transfer of this file stops after this many bytes (the connection is dropped) */
  interrupt?: { path: string; afterBytes: number };
  /** this file's bytes are served with one byte changed */
  corrupt?: string;
  /** serve file bytes at about this rate, so progress can be watched */
  bytesPerSecond?: number;
}

interface Entry {
  path: string;
  bytes: Buffer;
  lfs: boolean;
  oid: string;
  sha256: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function load(repo: { dir: string }): { commit: string; files: Map<string, Entry> } {
  const files = new Map<string, Entry>();
  const commit = createHash('sha1');
  for (const p of walk(repo.dir).sort()) {
    const bytes = readFileSync(p);
    const path = relative(repo.dir, p).split('\\').join('/');
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files.set(path, { path, bytes, lfs: path.endsWith('.onnx') || bytes.length > 1_000_000, oid, sha256 });
    commit.update(path).update(oid);
  }
  return { commit: commit.digest('hex'), files };
}

export async function startHub(repos: Record<string, HubRepo>, opts: HubOptions = {}) {
  const data = new Map(Object.entries(repos).map(([id, r]) => [id, { ...r, ...load(r) }]));
  const requests: { path: string; range: string | null }[] = [];
  let interrupted = false;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    requests.push({ path: url.pathname, range: req.headers.range ?? null });
    const m =
      /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname) ??
      /^\/([^/]+\/[^/]+)\/(resolve)\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = m && data.get(m[1]);
    if (!m || !repo) return json(res, 404, { error: 'Repository not found' });
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return json(res, 401, { error: `Access to model ${m[1]} is restricted. You must have access to it.` });
    }
    const [, id, kind, rev] = m;
    if (rev !== 'main' && rev !== 'HEAD' && rev !== repo.commit)
      return json(res, 404, { error: 'Revision not found' });
    if (kind === 'revision') {
      return json(res, 200, {
        _id: id,
        id,
        sha: repo.commit,
        private: false,
        gated: Boolean(repo.gatedToken),
        pipeline_tag: 'image-to-text',
        downloads: 0,
        likes: 0,
        lastModified: '2026-01-01T00:00:00.000Z',
      });
    }
    if (kind === 'tree') {
      return json(
        res,
        200,
        [...repo.files.values()].map((f) => ({
          type: 'file',
          oid: f.oid,
          size: f.lfs ? 134 : f.bytes.length,
          path: f.path,
          ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: 134 } } : {}),
        })),
      );
    }
    const file = repo.files.get(decodeURIComponent(m[4]));
    if (!file) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: 'Entry not found' }));
    }
    let body = file.bytes;
    if (opts.corrupt === file.path) {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    const total = body.length;
    const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = r ? Number(r[1]) : 0;
    const end = r?.[2] ? Math.min(Number(r[2]), total - 1) : total - 1;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${file.lfs ? file.sha256 : file.oid}"`,
      'x-repo-commit': repo.commit,
      ...(file.lfs ? { 'x-linked-size': String(total), 'x-linked-etag': `"${file.sha256}"` } : {}),
    };
    const chunk = body.subarray(start, end + 1);
    if (r) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    headers['content-length'] = String(chunk.length);
    res.writeHead(r ? 206 : 200, headers);
    if (opts.interrupt?.path === file.path && !interrupted && chunk.length > 1) {
      interrupted = true;
      res.write(chunk.subarray(0, opts.interrupt.afterBytes));
      setTimeout(() => res.destroy(), 50);
      return;
    }
    if (!opts.bytesPerSecond || chunk.length <= 1) return res.end(chunk);
    const piece = 64 * 1024;
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      if (at >= chunk.length) return res.end();
      res.write(chunk.subarray(at, at + piece));
      at += piece;
      setTimeout(next, (piece / opts.bytesPerSecond!) * 1000);
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    commitOf: (id: string) => data.get(id)!.commit,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Places a bundle folder in a Hugging Face cache as Python's huggingface_hub leaves it:
 * `models--ORG--NAME/blobs/<sha256 or git sha1>`, `snapshots/<commit>/<path>` symlinks, `refs/main`.
 */
export function writeHfCache(cacheDir: string, repo: string, dir: string): string {
  const { commit, files } = load({ dir });
  const folder = join(cacheDir, `models--${repo.replace('/', '--')}`);
  const snapshot = join(folder, 'snapshots', commit);
  mkdirSync(join(folder, 'blobs'), { recursive: true });
  mkdirSync(join(folder, 'refs'), { recursive: true });
  for (const f of files.values()) {
    const blob = join(folder, 'blobs', f.lfs ? f.sha256 : f.oid);
    writeFileSync(blob, f.bytes);
    const link = join(snapshot, f.path);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), blob), link);
  }
  writeFileSync(join(folder, 'refs', 'main'), commit);
  return snapshot;
}
