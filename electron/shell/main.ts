/**
 * The Electron shell: window, preload, IPC wiring and the media protocol. Everything else is the
 * plain-Node core, the same code the CLI and `caption-studio serve` run.
 * Security: contextIsolation, sandbox, no nodeIntegration, a strict CSP, no remote content, no
 * navigation or new windows, every IPC call checked for its sender and validated.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { app, BrowserWindow, type IpcMainInvokeEvent, ipcMain, protocol, session } from 'electron';
import { databasePath, defaultDataDir, openDatabase } from '../../db/open.ts';
import { CHANNELS, dispatch } from '../core/api/contract.ts';
import { createHandlers } from '../core/api/handlers.ts';
import { CaptionEngine } from '../core/inference/engine.ts';
import { MediaError, MIME, readMedia, thumbnail } from '../core/media.ts';

// runs bundled from electron/shell/dist/ (see launch.mjs)
const ROOT = resolve(import.meta.dirname, '../../..');
const RENDERER = join(ROOT, 'renderer', 'dist');
const MODEL = process.env.CAPTION_STUDIO_MODEL ?? join(ROOT, 'models', 'default');

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: 'studio-media', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const CSP =
  "default-src 'self'; img-src 'self' blob: data: studio-media:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

function isTrusted(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('app://studio/');
}

app.whenReady().then(async () => {
  const dataDir = process.env.CAPTION_STUDIO_DATA_DIR ?? defaultDataDir();
  const db = openDatabase(databasePath(dataDir));
  const core = createHandlers({ db, engine: () => CaptionEngine.load(MODEL) });

  protocol.handle('app', async (req) => {
    const url = new URL(req.url);
    const file = normalize(url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (file.startsWith('..')) return new Response('forbidden', { status: 403 });
    try {
      const body = await readFile(join(RENDERER, file));
      const type =
        { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(file)] ??
        'application/octet-stream';
      return new Response(body, { headers: { 'content-type': type, 'content-security-policy': CSP } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
  protocol.handle('studio-media', async (req) => {
    const url = new URL(req.url); // studio-media://<media|thumb>/<rootId>/<rel>
    const [rootId, ...rel] = url.pathname.slice(1).split('/').map(decodeURIComponent);
    try {
      const path = rel.join('/');
      const bytes =
        url.host === 'thumb'
          ? await thumbnail(db, join(dataDir, 'thumbnails'), Number(rootId), path)
          : await readMedia(db, Number(rootId), path);
      const type =
        url.host === 'thumb'
          ? 'image/webp'
          : (MIME[extname(path).slice(1).toLowerCase()] ?? 'application/octet-stream');
      return new Response(new Uint8Array(bytes), { headers: { 'content-type': type } });
    } catch (err) {
      return new Response(err instanceof Error ? err.message : 'error', {
        status: err instanceof MediaError ? err.status : 500,
      });
    }
  });
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => {
    // no remote content, ever
    cb({ cancel: !/^(app|studio-media|devtools|blob|data):/.test(details.url) });
  });

  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, req) =>
      isTrusted(event) ? dispatch(core.handlers, channel, req) : { ok: false, error: 'untrusted sender' },
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
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  await win.loadURL('app://studio/index.html');

  app.on('window-all-closed', async () => {
    await core.close();
    db.close();
    app.quit();
  });
});
