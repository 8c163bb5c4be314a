/**
 * A job keeps its batch size across processes: the CLI starts it, is interrupted (Ctrl+C pauses
 * it) or killed, and the studio resumes it with `jobs.resume` at the batch size the CLI gave. Real
 * child processes, a real database file, the shipped model.
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../db/open.ts';
import { tempDir, writeGoodImages } from '../../test/fixtures/images.ts';
import { committedRuns } from '../../test/fixtures/runs.ts';
import { call } from '../../test/fixtures/studio.ts';
import type { JobView } from '../core/api/types.ts';
import { openStudio } from '../core/studio.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
const IMAGES = 40;

let folder: string;
beforeAll(async () => {
  folder = tempDir('cs-resume-lib-');
  await writeGoodImages(folder, IMAGES);
});

/** Runs `caption` and stops it with `signal` once it has committed a few runs; the job row then. */
async function startAndStop(data: string, batchSize: number, signal: 'SIGINT' | 'SIGKILL') {
  const args = ['caption', folder, '--data-dir', data, '--batch-size', String(batchSize), '--threads', '1'];
  const child = spawn(process.execPath, [BIN, ...args, '--beams', '2', '--quiet'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let stopped = false;
  void exited.then(() => (stopped = true));
  while (!stopped && committedRuns(databasePath(data)) < 1) await new Promise((r) => setTimeout(r, 5));
  child.kill(signal);
  const code = await exited;
  const db = new Database(databasePath(data), { readonly: true });
  const job = db.prepare('SELECT id, state, batch_size FROM jobs').get() as {
    id: number;
    state: string;
    batch_size: number;
  };
  const done = (db.prepare('SELECT count(*) AS n FROM caption_runs').get() as { n: number }).n;
  db.close();
  return { code, job, done };
}

describe('a CLI job resumed from the studio', () => {
  it.each([
    [16, 'SIGINT' as const, 'paused'],
    [5, 'SIGKILL' as const, 'running'], // not the default (DEFAULT_BATCH_SIZE): a resume that forgot it would run at 16
  ])(
    'started with --batch-size %i and stopped by %s, runs at that batch size when resumed with jobs.resume',
    async (batchSize, signal, state) => {
      const data = tempDir('cs-resume-data-');
      const before = await startAndStop(data, batchSize, signal);
      expect(before.job).toMatchObject({ state, batch_size: batchSize });
      expect(before.done, 'stopped before the folder was done').toBeLessThan(IMAGES);
      if (signal === 'SIGINT') expect(before.code).toBe(130);
      const status = () =>
        spawnSync(process.execPath, [BIN, 'status', '--data-dir', data], { encoding: 'utf8' }).stdout;
      expect(status()).toContain(
        `\nUnfinished jobs (run caption again on the folder to resume):\n  job ${before.job.id} on ${folder} (${state}): `,
      );

      const studio = openStudio({ dataDir: data, load: { intraOpThreads: 1 } });
      try {
        const finished = new Promise<JobView>((res) => {
          const off = studio.events.on((m) => {
            if (m.event === 'jobs.progress' && m.data.id === before.job.id && m.data.state !== 'running') {
              off();
              res(m.data);
            }
          });
        });
        const resumed = await call(studio, 'jobs.resume', { jobId: before.job.id });
        expect(resumed).toMatchObject({ id: before.job.id, resumed: true, batchSize });
        const end = await finished;
        expect(end).toMatchObject({ state: 'done', done: IMAGES, batchSize });
        expect(end.captioned).toBe(IMAGES - before.done);
        expect((await call(studio, 'jobs.list', {})).find((j) => j.id === before.job.id)?.batchSize).toBe(
          batchSize,
        );
      } finally {
        await studio.close();
      }
      expect(status()).toContain(`\nFinished jobs:\n  job ${before.job.id} on ${folder} (done): `);
      expect(status()).not.toMatch(/Unfinished/);
    },
    240_000,
  );
});
