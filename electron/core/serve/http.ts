/**
 * `caption-studio serve`: the studio's API and UI over HTTP, for raters working from a browser
 * and for the end-to-end tests. Localhost by default. Every API, event and media request carries a
 * token (header `Authorization: Bearer …` or `?token=`): the random owner token printed at start
 * reaches everything; a rater's link (`raters.invite`) reaches its rating sessions and their images
 * only. Images by file id, streamed. Errors are JSON values: 400 bad input, 401 no or unknown
 * token, 403 not this role's, 404 unknown, 413 too large; 5xx only for a bug in the studio.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB } from '../../../db/open.ts';
import { callerOf } from '../access/links.ts';
import { callAs } from '../access/scope.ts';
import type { Caller, Handlers } from '../api/contract.ts';
import type { EventBus } from '../events.ts';
import { MediaError, routeMedia } from '../library/media.ts';
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
const MAX_BODY = 1 << 20;

export async function serve(
  opts: ServeOptions,
): Promise<{ url: string; token: string; close: () => Promise<void> }> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const identify = (req: IncomingMessage, url: URL): Caller | undefined => {
    const given = req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('token') ?? '';
    return callerOf(opts.db, token, given);
  };
  const head = (res: ServerResponse, status: number, type: string, length?: number) =>
    res.writeHead(status, {
      'content-type': type,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      ...(length === undefined ? {} : { 'content-length': length }),
    });
  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'application/json') => {
    head(res, status, type);
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
      if (!guarded) {
        if (req.method !== 'GET') return send(res, 405, 'GET only', 'text/plain');
        // client-side routes (and anything not in the built UI) get the app
        const page = (await readPage(opts.rendererDir, path)) ?? (await readPage(opts.rendererDir, '/'));
        if (!page) return send(res, 404, 'the UI is not built', 'text/plain');
        return send(res, 200, page.bytes, page.type);
      }
      const caller = identify(req, url);
      if (!caller) return fail(res, 401, 'missing, wrong or revoked access token');
      if (path === '/api/events') {
        if (caller.role !== 'owner') return fail(res, 403, "a rater's link has no event stream");
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
          if (size > MAX_BODY) {
            res.setHeader('connection', 'close');
            return fail(res, 413, `request body over ${MAX_BODY} bytes`);
          }
          chunks.push(c as Buffer);
        }
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return fail(res, 400, 'request body is not JSON');
        }
        const result = await callAs(opts.db, opts.handlers, caller, path.slice(5), body);
        return send(res, result.ok ? 200 : result.status, JSON.stringify(result));
      }
      const body = await routeMedia(opts.db, opts.thumbsDir, caller, path, url.searchParams.get('size'));
      head(res, 200, body.type, body.size);
      if ('bytes' in body) return res.end(body.bytes);
      body.stream.on('error', () => res.destroy()).pipe(res);
    } catch (err) {
      if (err instanceof MediaError) return fail(res, err.status, err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return fail(res, 403, 'permission denied');
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return fail(res, 404, 'not found');
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
