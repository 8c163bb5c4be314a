/**
 * The Electron shell: window, preload, IPC wiring and the media protocol. Everything else is the
 * plain-Node core (`openStudio`), the same code the CLI and `caption-studio serve` run; the models
 * run in its inference worker thread, off the thread that answers the window.
 * Security: contextIsolation, sandbox, no nodeIntegration, a strict CSP, no remote content, no
 * navigation or new windows, every permission request denied, a single instance, every IPC call
 * checked for its sender and validated; fuses are set at packaging (build/electron-builder.yml).
 */
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, type IpcMainInvokeEvent, ipcMain, protocol, session } from 'electron';
import { CHANNELS, OWNER } from '../core/api/contract.ts';
import { dispatch } from '../core/api/dispatch.ts';
import { IMMUTABLE, MediaError, routeMedia } from '../core/library/media.ts';
import { contentSecurityPolicy, readPage } from '../core/serve/pages.ts';
import { openStudio } from '../core/studio.ts';

// runs bundled from electron/shell/dist/ (see launch.mjs), beside the bundled worker threads
const ROOT = resolve(import.meta.dirname, '../../..');
const RENDERER = join(ROOT, 'renderer', 'dist');
const CSP = contentSecurityPolicy('studio-media:');

// One studio per user. A second launch asks for the lock first and quits before it registers a
// scheme, a handler or a window, or opens the database; the first focuses its window instead.
const primary = app.requestSingleInstanceLock();
if (!primary) app.quit();

if (primary)
  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: 'studio-media', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);

function isTrusted(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('app://studio/');
}

if (primary) app.whenReady().then(start);

async function start() {
  const studio = openStudio({
    shipped: join(ROOT, 'models', 'default'),
    workerUrl: pathToFileURL(join(import.meta.dirname, 'worker-boot.mjs')),
  });

  protocol.handle('app', async (req) => {
    const page = await readPage(RENDERER, new URL(req.url).pathname);
    if (!page) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(page.bytes), {
      headers: { 'content-type': page.type, 'content-security-policy': CSP },
    });
  });
  protocol.handle('studio-media', async (req) => {
    const url = new URL(req.url); // studio-media://<media|thumb>/<fileId>[?size=N]: serve's /media/<fileId>
    try {
      const path = `/${url.host}${url.pathname}`;
      const body = await routeMedia(studio.db, studio.thumbsDir, OWNER, path, url.searchParams.get('size'));
      const data =
        'bytes' in body ? new Uint8Array(body.bytes) : (Readable.toWeb(body.stream) as ReadableStream);
      const headers: Record<string, string> = { 'content-type': body.type };
      if (body.immutable) headers['cache-control'] = IMMUTABLE; // a thumbnail by content hash
      return new Response(data, { headers });
    } catch (err) {
      return new Response(err instanceof Error ? err.message : 'error', {
        status: err instanceof MediaError ? err.status : 500,
      });
    }
  });
  // the studio needs no camera, microphone, notifications, geolocation...
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => {
    // no remote content, ever
    cb({ cancel: !/^(app|studio-media|devtools|blob|data):/.test(details.url) });
  });

  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, req) =>
      isTrusted(event)
        ? dispatch(studio.handlers, channel, req)
        : { ok: false, status: 403, error: 'untrusted sender' },
    );
  }

  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Caption Studio',
    webPreferences: {
      preload: join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // job progress is pushed to the window as it happens
  const stopEvents = studio.events.on((m) => {
    if (!win.isDestroyed()) win.webContents.send('studio-event', m);
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  await win.loadURL('app://studio/index.html');

  app.on('window-all-closed', async () => {
    stopEvents();
    await studio.close();
    app.quit();
  });
}
