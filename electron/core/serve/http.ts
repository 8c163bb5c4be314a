/**
 * `caption-studio serve`: the studio's API and UI over HTTP, for raters working from a browser
 * and for the end-to-end tests. Localhost by default; every API, event and media request needs the
 * random access token printed in the URL (header `Authorization: Bearer …` or `?token=`); image bytes
 * only from inside library roots. Errors are JSON values with a 4xx status for bad input.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB } from '../../../db/open.ts';
import type { Handlers } from '../api/contract.ts';
import { dispatch } from '../api/dispatch.ts';
import type { EventBus } from '../events.ts';
import { MediaError, media } from '../library/media.ts';
import { contentSecurityPolicy, readPage } from './pages.ts';

export interface ServeOptions {
  db: DB;
  handlers: Handlers;
  events: EventBus;
  /** built renderer (index.html + assets) */
  rendererDir: string;
  thumbsDir: string;
  host?: string;
  port?: number;
  token?: string;
}

const CSP = contentSecurityPolicy();
const KEEPALIVE_MS = 15_000;

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
  const fail = (res: ServerResponse, status: number, error: string) =>
    send(res, status, JSON.stringify({ ok: false, status, error }));

  const streams = new Set<ServerResponse>();
  const unsubscribe = opts.events.on((m) => {
    const frame = `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
    for (const s of streams) s.write(frame);
  });
  const keepalive = setInterval(() => {
    for (const s of streams) s.write(': keep-alive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      const guarded = path.startsWith('/api/') || path.startsWith('/media/') || path.startsWith('/thumb/');
      if (guarded && !authorised(req, url)) return fail(res, 401, 'missing or wrong access token');
      if (path === '/api/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (path.startsWith('/api/')) {
        if (req.method !== 'POST') return fail(res, 405, 'POST only');
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of req) {
          size += (c as Buffer).length;
          if (size > 1 << 20) return fail(res, 413, 'request too large');
          chunks.push(c as Buffer);
        }
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return fail(res, 400, 'request body is not JSON');
        }
        const result = await dispatch(opts.handlers, path.slice(5), body);
        return send(res, result.ok ? 200 : result.status, JSON.stringify(result));
      }
      const m = /^\/(media|thumb)\/(\d+)\/(.+)$/.exec(path);
      if (m) {
        const size = Number(url.searchParams.get('size') ?? 256);
        const { bytes, type } = await media(
          opts.db,
          opts.thumbsDir,
          m[1] as 'media' | 'thumb',
          Number(m[2]),
          decodeURIComponent(m[3]),
          size,
        );
        return send(res, 200, bytes, type);
      }
      if (req.method !== 'GET') return send(res, 405, 'GET only', 'text/plain');
      // client-side routes (and anything not in the built UI) get the app
      const page = (await readPage(opts.rendererDir, path)) ?? (await readPage(opts.rendererDir, '/'));
      if (!page) return send(res, 404, 'the UI is not built', 'text/plain');
      return send(res, 200, page.bytes, page.type);
    } catch (err) {
      if (err instanceof MediaError) return fail(res, err.status, err.message);
      return fail(res, 500, err instanceof Error ? err.message : String(err));
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
        unsubscribe();
        clearInterval(keepalive);
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
