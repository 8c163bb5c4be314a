/**
 * `caption-studio serve`: the studio's API and UI over HTTP, for raters working from a browser
 * and for the end-to-end tests. Localhost by default; every API and media request needs the random
 * access token printed in the URL (header `Authorization: Bearer …` or `?token=`); image bytes only
 * from inside library roots.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { DB } from '../../db/open.ts';
import { dispatch, type Handlers } from './api/contract.ts';
import { MediaError, MIME, readMedia, thumbnail } from './media.ts';

export interface ServeOptions {
  db: DB;
  handlers: Handlers;
  /** built renderer (index.html + assets) */
  rendererDir: string;
  thumbsDir: string;
  host?: string;
  port?: number;
  token?: string;
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export async function serve(
  opts: ServeOptions,
): Promise<{ url: string; token: string; close: () => Promise<void> }> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const expected = Buffer.from(token);
  const authorised = (req: IncomingMessage, url: URL) => {
    const given = req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('token') ?? '';
    const b = Buffer.from(given);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'application/json') => {
    res.writeHead(status, {
      'content-type': type,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    res.end(body);
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path.startsWith('/api/') || path.startsWith('/media/') || path.startsWith('/thumb/')) {
        if (!authorised(req, url))
          return send(res, 401, JSON.stringify({ ok: false, error: 'missing or wrong access token' }));
      }
      if (path.startsWith('/api/')) {
        if (req.method !== 'POST') return send(res, 405, JSON.stringify({ ok: false, error: 'POST only' }));
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of req) {
          size += (c as Buffer).length;
          if (size > 1 << 20)
            return send(res, 413, JSON.stringify({ ok: false, error: 'request too large' }));
          chunks.push(c as Buffer);
        }
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return send(res, 400, JSON.stringify({ ok: false, error: 'request body is not JSON' }));
        }
        return send(res, 200, JSON.stringify(await dispatch(opts.handlers, path.slice(5), body)));
      }
      const media = /^\/(media|thumb)\/(\d+)\/(.+)$/.exec(path);
      if (media) {
        const [, kind, rootId, relEnc] = media;
        const rel = decodeURIComponent(relEnc);
        const bytes =
          kind === 'thumb'
            ? await thumbnail(
                opts.db,
                opts.thumbsDir,
                Number(rootId),
                rel,
                Number(url.searchParams.get('size') ?? 256),
              )
            : await readMedia(opts.db, Number(rootId), rel);
        const type =
          kind === 'thumb'
            ? 'image/webp'
            : (MIME[extname(rel).slice(1).toLowerCase()] ?? 'application/octet-stream');
        return send(res, 200, bytes, type);
      }
      if (req.method !== 'GET') return send(res, 405, 'GET only', 'text/plain');
      const file = path === '/' ? 'index.html' : normalize(path).replace(/^[/\\]+/, '');
      if (file.split(/[/\\]/).includes('..')) return send(res, 403, 'forbidden', 'text/plain');
      try {
        const bytes = await readFile(join(opts.rendererDir, file));
        return send(res, 200, bytes, STATIC_TYPES[extname(file)] ?? 'application/octet-stream');
      } catch {
        // client-side routes fall back to the app
        return send(res, 200, await readFile(join(opts.rendererDir, 'index.html')), STATIC_TYPES['.html']);
      }
    } catch (err) {
      if (err instanceof MediaError)
        return send(res, err.status, JSON.stringify({ ok: false, error: err.message }));
      return send(
        res,
        500,
        JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/?token=${token}`,
    token,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
