/**
 * A real studio for tests: its own data directory and database file, the shipped model in a real
 * inference worker thread, and calls through the same `dispatch` every transport uses.
 */
import { join } from 'node:path';
import type { Channel, Request, Responses } from '../../electron/core/api/contract.ts';
import { dispatch } from '../../electron/core/api/dispatch.ts';
import { openStudio, type Studio } from '../../electron/core/studio.ts';
import { DEFAULT_BUNDLE } from './bundles.ts';
import { tempDir, writeBrokenImages, writeGoodImages } from './images.ts';

export function openTestStudio(model = DEFAULT_BUNDLE): Studio {
  return openStudio({ dataDir: tempDir('cs-studio-'), model, load: { intraOpThreads: 1 } });
}

/** Calls a channel; a failure is thrown as an error carrying the value's status and field. */
export async function call<C extends Channel>(
  studio: Studio,
  channel: C,
  req: Request<C>,
): Promise<Responses[C]> {
  const r = await dispatch(studio.handlers, channel, req);
  if (!r.ok) throw Object.assign(new Error(r.error), { status: r.status, field: r.field });
  return r.value as Responses[C];
}

/** Starts a caption job over a root and waits, on its pushed progress, until it has stopped. */
export async function captionRoot(
  studio: Studio,
  rootId: number,
  decoding: Request<'jobs.start'>['decoding'] = {},
  options: Omit<Request<'jobs.start'>, 'rootId' | 'decoding'> = {},
): Promise<Responses['jobs.start']> {
  const stopped = new Promise<Responses['jobs.start']>((resolve) => {
    const off = studio.events.on((m) => {
      if (m.event === 'jobs.progress' && m.data.rootId === rootId && m.data.state !== 'running') {
        off();
        resolve(m.data);
      }
    });
  });
  const job = await call(studio, 'jobs.start', { rootId, decoding, ...options });
  return job.state === 'running' ? stopped : job;
}

/** A folder of `good` distinct images (plus broken files when asked) added to the studio's library. */
export async function addLibrary(
  studio: Studio,
  good: number,
  opts: { broken?: boolean } = {},
): Promise<Responses['library.addRoot'] & { folder: string }> {
  const folder = tempDir('cs-lib-');
  await writeGoodImages(folder, good);
  if (opts.broken) writeBrokenImages(join(folder, 'broken'));
  return { ...(await call(studio, 'library.addRoot', { path: folder })), folder };
}
