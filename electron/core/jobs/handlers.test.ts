/** Job handlers: start, progress pushed as events, pause and resume, cancel, and what the list shows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { JobView } from '../api/types.ts';
import { openStudio, type Studio } from '../studio.ts';

let studio: Studio;
beforeAll(() => {
  studio = openTestStudio();
});
afterAll(() => studio?.close());

/** Every progress event of the studio, in order. */
function record(s: Studio): JobView[] {
  const seen: JobView[] = [];
  s.events.on((m) => m.event === 'jobs.progress' && seen.push(m.data));
  return seen;
}

describe('job handlers', () => {
  it('a job pushes its progress and ends done; starting the same work again finds nothing to do', async () => {
    const lib = await addLibrary(studio, 5, { broken: true });
    const events = record(studio);
    const done = await captionRoot(studio, lib.id);
    expect(done).toMatchObject({
      state: 'done',
      total: 10,
      done: 10,
      captioned: 5,
      errors: 5,
      failure: null,
    });
    expect(done.errorList).toHaveLength(5);
    const mine = events.filter((e) => e.id === done.id);
    expect(mine[0].state).toBe('running');
    expect(mine.at(-1)?.state).toBe('done');
    // progress only grows
    for (let i = 1; i < mine.length; i++) expect(mine[i].done).toBeGreaterThanOrEqual(mine[i - 1].done);
    const again = await captionRoot(studio, lib.id);
    expect(again).toMatchObject({ state: 'done', captioned: 0, skipped: 5 });
    expect((await call(studio, 'jobs.list', {})).map((j) => j.id)).toEqual([again.id, done.id]);
  });

  it('pauses on request and resumes the same job where it stopped', async () => {
    const lib = await addLibrary(studio, 24);
    const job = await call(studio, 'jobs.start', {
      rootId: lib.id,
      decoding: { num_beams: 4 },
      batchSize: 2,
    });
    expect(job.state).toBe('running');
    // a second start of the same folder while it runs is the same job
    expect((await call(studio, 'jobs.start', { rootId: lib.id, decoding: {} })).id).toBe(job.id);
    const paused = await call(studio, 'jobs.stop', { jobId: job.id, action: 'pause' });
    expect(paused.state).toBe('paused');
    expect(paused.done).toBeLessThan(24);
    await expect(call(studio, 'jobs.stop', { jobId: job.id, action: 'pause' })).rejects.toMatchObject({
      status: 409,
    });
    const resumed = await captionRoot(studio, lib.id, { num_beams: 4 });
    expect(resumed).toMatchObject({ id: job.id, resumed: true, state: 'done' });
    expect(resumed.captioned + paused.captioned).toBe(24);
  });

  it('cancel stops the job for good; unknown jobs are 404', async () => {
    const lib = await addLibrary(studio, 12);
    const job = await call(studio, 'jobs.start', {
      rootId: lib.id,
      decoding: { num_beams: 3 },
      batchSize: 1,
    });
    expect((await call(studio, 'jobs.stop', { jobId: job.id, action: 'cancel' })).state).toBe('cancelled');
    const next = await call(studio, 'jobs.start', { rootId: lib.id, decoding: { num_beams: 3 } });
    expect(next.id).not.toBe(job.id);
    await call(studio, 'jobs.stop', { jobId: next.id, action: 'pause' });
    await expect(call(studio, 'jobs.stop', { jobId: 999, action: 'pause' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(call(studio, 'jobs.start', { rootId: 999 })).rejects.toMatchObject({ status: 404 });
  });

  it('jobs of every process are listed with folder, model and decoding; Resume continues one another process paused', async () => {
    const other = openTestStudio();
    const lib = await addLibrary(other, 12);
    const job = await call(other, 'jobs.start', { rootId: lib.id, decoding: { num_beams: 2 }, batchSize: 1 });
    const paused = await call(other, 'jobs.stop', { jobId: job.id, action: 'pause' });
    await other.close();
    // "another process": a fresh studio on the same data
    const reopened = openStudio({ dataDir: other.dataDir, load: { intraOpThreads: 1 } });
    try {
      const [listed] = await call(reopened, 'jobs.list', {});
      expect(listed).toMatchObject({
        id: job.id,
        rootId: lib.id,
        state: 'paused',
        folder: lib.folder,
        model: 'default',
        dtype: 'fp32',
        decoding: expect.objectContaining({ num_beams: 2 }),
        total: 12,
        done: paused.done,
      });
      const stopped = new Promise<JobView>((resolve) =>
        reopened.events.on((m) => m.event === 'jobs.progress' && m.data.state === 'done' && resolve(m.data)),
      );
      const resumed = await call(reopened, 'jobs.resume', { jobId: job.id });
      expect(resumed).toMatchObject({ id: job.id, resumed: true });
      const end = await stopped;
      expect(end).toMatchObject({ id: job.id, state: 'done', done: 12 });
      expect(end.captioned + paused.captioned).toBe(12);
      // done: its rate stays, and it cannot be resumed
      const [after] = await call(reopened, 'jobs.list', {});
      expect(after.rate).toBeGreaterThan(0);
      await expect(call(reopened, 'jobs.resume', { jobId: job.id })).rejects.toMatchObject({ status: 409 });
      await expect(call(reopened, 'jobs.resume', { jobId: 999 })).rejects.toMatchObject({ status: 404 });
    } finally {
      await reopened.close();
    }
  });
});
