/**
 * End-to-end harness: `caption-studio serve` as a real child process with its own data directory,
 * driven by Debian's Chromium through playwright-core (never a downloaded browser).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type HubOptions, type HubRepo, startHub } from '../test/fixtures/hub.ts';
import { tempDir, writeBrokenImages, writeGoodImages } from '../test/fixtures/images.ts';

export const REPO = resolve(import.meta.dirname, '..');
export const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Studio {
  url: string;
  base: string;
  token: string;
  dataDir: string;
  call<T = unknown>(channel: string, req: unknown): Promise<T>;
  /** runs a caption job over the folder and waits for it to finish */
  captionAll(rootId: number, decoding: object): Promise<void>;
  stop(): Promise<void>;
}

/** `caption-studio serve` on a new data directory, or on `dataDir` (a library prepared beforehand). */
export async function startStudio(
  env: Record<string, string> = {},
  dataDir = tempDir('cs-e2e-data-'),
): Promise<Studio> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO, 'bin/caption-studio.mjs'), 'serve', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /is at (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]);
    });
    child.on('exit', (code) => rej(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const base = url.replace(/\/\?token=.*$/, '');
  const token = new URL(url).searchParams.get('token')!;
  const studio: Studio = {
    url,
    base,
    token,
    dataDir,
    async captionAll(rootId: number, decoding: object): Promise<void> {
      await studio.call('jobs.start', { rootId, decoding });
      while ((await studio.call<{ state: string }[]>('jobs.list', {}))[0].state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async call<T>(channel: string, req: unknown): Promise<T> {
      const r = await fetch(`${base}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(req),
      });
      const j = (await r.json()) as { ok: boolean; value?: T; error?: string };
      if (!j.ok) throw new Error(j.error);
      return j.value as T;
    },
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
  return studio;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the end-to-end tests need Debian's chromium (scripts/setup-system.sh installs it)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** A blank page that fails the test on any uncaught page error. */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => {
    throw e;
  });
  return page;
}

/** A page of the studio (at `hash`), failing the test on any uncaught page error. */
export async function openPage(browser: Browser, studio: Studio, hash = ''): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(`${studio.url}${hash}`);
  return page;
}

/** Chromium for the tests of the enclosing file or describe: launched before them, closed after. */
export function sharedBrowser() {
  const web = {
    browser: undefined as unknown as Browser,
    /** a page of `studio` at `hash` (see openPage) */
    open: (studio: Studio, hash = '') => openPage(web.browser, studio, hash),
  };
  beforeAll(async () => {
    web.browser = await launchBrowser();
  });
  afterAll(() => web.browser?.close());
  return web;
}

/** A new folder (named from `prefix`) of `good` generated photos, and one broken file of each kind in `broken/` when asked. */
export async function photoFolder(
  prefix: string,
  good: number,
  opts: { broken?: boolean } = {},
): Promise<string> {
  const folder = tempDir(prefix);
  await writeGoodImages(folder, good);
  if (opts.broken) writeBrokenImages(join(folder, 'broken'));
  return folder;
}

/** A new folder (named from `prefix`) of `images` generated photos in the studio's library, captioned once (greedy). */
export async function captionedFolder(studio: Studio, prefix: string, images: number) {
  const folder = await photoFolder(prefix, images);
  const rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
  await studio.captionAll(rootId, {});
  return { folder, rootId };
}

/** Each image's caption by the model (of its first run), in library order. */
export async function modelCaptions(studio: Studio, rootId: number) {
  const files = await studio.call<{ items: { fileId: number }[] }>('library.images', { rootId });
  const out: { id: number; text: string }[] = [];
  for (const f of files.items) {
    const d = await studio.call<{ runs: { candidates: { id: number; text: string; source: string }[] }[] }>(
      'image.get',
      { fileId: f.fileId },
    );
    out.push(d.runs[0].candidates.find((c) => c.source === 'model')!);
  }
  return out;
}

/** Each image gets a person's caption beside the model's (an edit of it: "a person's caption I"), two to rate. */
export async function addPersonCaptions(studio: Studio, rootId: number): Promise<void> {
  for (const [i, c] of (await modelCaptions(studio, rootId)).entries())
    await studio.call('candidate.edit', { candidateId: c.id, text: `a person's caption ${i}` });
}

/** A Hub on loopback and a studio that pulls from it into its own Hugging Face cache; `stop` ends both. */
export async function startStudioWithHub(repos: Record<string, HubRepo>, options: HubOptions = {}) {
  const hub = await startHub(repos, options);
  const studio = await startStudio({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: tempDir('cs-e2e-hf-') });
  return {
    hub,
    studio,
    async stop() {
      await studio.stop();
      await hub.close();
    },
  };
}
