/**
 * `caption-studio serve`: the studio's API and UI over HTTP, for raters working from a browser
 * and for the end-to-end tests. Localhost by default. Every API request carries a token in the
 * header `Authorization: Bearer …`: the random owner token printed at start reaches everything; a
 * rater's link (`raters.invite`) reaches its rating sessions and their images only. The token in
 * the printed URL is for the page alone, which moves it out of the address bar at load; images and
 * the event stream (which cannot send headers) carry a short-lived grant instead (`grants.ts`,
 * from POST /api/grant). A foreign `Host` or `Origin` is refused first (`guard.ts`). Images by file
 * id, streamed. Errors are JSON values: 400 bad input, 401 no or unknown token, 403 not this
 * role's, 404 unknown, 413 too large, 421 another host's; 5xx only for a bug in the studio.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB } from '../../../db/open.ts';
import { callerOf } from '../access/links.ts';
import { callAs } from '../access/scope.ts';
import type { Caller, Handlers } from '../api/contract.ts';
import type { EventBus } from '../events.ts';
import { IMMUTABLE, MediaError, routeMedia } from '../library/media.ts';
import { confineExport } from './exports.ts';
import { grants } from './grants.ts';
import { hostRule, refusal, securityHeaders } from './guard.ts';
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
  /** export destinations only inside this folder (a real path): `serve --exports-dir` */
  exportsDir?: string;
}

const CSP = contentSecurityPolicy();
const HEADERS = securityHeaders(CSP);
const KEEPALIVE_MS = 15_000;
const MAX_BODY = 1 << 20;

export async function serve(
  opts: ServeOptions,
): Promise<{ url: string; token: string; close: () => Promise<void> }> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const grant = grants();
  const bearer = (req: IncomingMessage) => req.headers.authorization?.replace(/^Bearer /, '');
  const identify = (req: IncomingMessage, url: URL): Caller | undefined => {
    // a grant only where headers cannot be sent: reads of images and of the event stream
    const granted = req.method === 'GET' ? grant.open(url.searchParams.get('grant') ?? '') : undefined;
    return callerOf(opts.db, token, bearer(req) ?? granted ?? '');
  };
  const head = (res: ServerResponse, status: number, type: string, length?: number, cache?: string) =>
    res.writeHead(status, {
      ...HEADERS,
      'content-type': type,
      ...(length === undefined ? {} : { 'content-length': length }),
      ...(cache ? { 'cache-control': cache } : {}),
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

  let hostOk: (value: string | undefined) => boolean = () => false; // set once listening
  const server = createServer(async (req, res) => {
    try {
      const refused = refusal(hostOk, req.headers);
      if (refused) {
        res.setHeader('connection', 'close'); // its body, if any, is never read
        return fail(res, refused.status, refused.error);
      }
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
        res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream' });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (path.startsWith('/api/')) {
        if (req.method !== 'POST') return fail(res, 405, 'POST only');
        // (a POST: the caller was identified by its header)
        if (path === '/api/grant')
          return send(res, 200, JSON.stringify({ ok: true, value: grant.issue(bearer(req)!) }));
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
        if (opts.exportsDir) {
          const confined = confineExport(opts.exportsDir, path.slice(5), body);
          if (!confined.ok) return fail(res, confined.status, confined.error);
          body = confined.body;
        }
        const result = await callAs(opts.db, opts.handlers, caller, path.slice(5), body);
        return send(res, result.ok ? 200 : result.status, JSON.stringify(result));
      }
      const body = await routeMedia(opts.db, opts.thumbsDir, caller, path, url.searchParams.get('size'));
      // a thumbnail by content hash never changes: the browser keeps it (its URL carries the grant,
      // so a grant renewal fetches each thumbnail once more; in between, scrolling back is free)
      head(res, 200, body.type, body.size, body.immutable ? IMMUTABLE : undefined);
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
  hostOk = hostRule(host, port);
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
