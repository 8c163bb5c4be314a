/**
 * `caption-studio invite` as users run it (a real child process on a real data dir): without
 * `--session` it invites a rater to the sessions that give the rater images, never to one whose
 * images are all assigned to others.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../test/fixtures/studio.ts';
import type { Studio } from '../core/studio.ts';

const BIN = resolve(import.meta.dirname, '../../bin/caption-studio.mjs');
let studio: Studio;
const ids: Record<string, number> = {};

beforeAll(async () => {
  studio = openTestStudio();
  const { id: rootId } = await addLibrary(studio, 4);
  await captionRoot(studio, rootId, {});
  const make = async (name: string, assign?: { raters: string[]; overlap: number }) =>
    (ids[name] = (await call(studio, 'sessions.create', { name, rootId, assign })).id);
  await make('everyone');
  await make('ada and bea', { raters: ['ada', 'bea'], overlap: 0 });
  await make('cy alone', { raters: ['cy'], overlap: 0 });
  studio.close();
});
afterAll(() => studio?.close());

const invite = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'invite', ...args, '--data-dir', studio.dataDir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const linked = (out: string) => /rating sessions ([\d, ]+) only/.exec(out)?.[1].split(', ').map(Number);

describe('invite without --session', () => {
  it('invites to the open sessions and those assigning the rater images', () => {
    const bea = invite('--rater', 'bea');
    expect(bea.err).toBe('');
    expect(linked(bea.out)).toEqual([ids['ada and bea'], ids.everyone].sort((a, b) => a - b));
    const cy = invite('--rater', 'cy');
    expect(linked(cy.out)).toEqual([ids.everyone, ids['cy alone']].sort((a, b) => a - b));
    // a rater no session assigns: the open session only
    expect(linked(invite('--rater', 'dee').out)).toEqual([ids.everyone]);
    // --session still invites to exactly what it names
    expect(linked(invite('--rater', 'dee', '--session', String(ids['cy alone'])).out)).toEqual([
      ids['cy alone'],
    ]);
  });

  it('says so when no session gives the rater images', async () => {
    const s = openTestStudio();
    const { id: rootId } = await addLibrary(s, 2);
    await captionRoot(s, rootId, {});
    await call(s, 'sessions.create', { name: 'cy alone', rootId, assign: { raters: ['cy'], overlap: 0 } });
    s.close();
    const r = spawnSync(process.execPath, [BIN, 'invite', '--rater', 'dee', '--data-dir', s.dataDir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no rating session gives dee images .*name one with --session ID/);
    expect(r.stdout).toBe('');
  });
});
