/**
 * Blind payloads: whatever a rater's link calls in a blind session, the answer names no file
 * path or folder, no model or decoding, and no run: the image goes by its id alone. Every rater
 * channel is called (a channel added to RATER_CHANNELS without a call here fails the test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { callAs } from '../access/scope.ts';
import { type Caller, type Channel, RATER_CHANNELS } from '../api/contract.ts';
import type { SessionItem } from '../api/types.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let folder: string;
let names: string[];
beforeAll(async () => {
  studio = openTestStudio();
  const lib = await addLibrary(studio, 2);
  folder = lib.folder;
  await captionRoot(studio, lib.id, {});
  await captionRoot(studio, lib.id, { num_beams: 3, num_return_sequences: 2 });
  names = (await call(studio, 'library.images', { rootId: lib.id })).items.map((i) => i.rel);
});
afterAll(() => studio?.close());

describe('blind rater payloads', () => {
  it('carry no path, model name, decoding or run id on any rater channel', async () => {
    const lib = (await call(studio, 'library.roots', {}))[0];
    const s = await call(studio, 'sessions.create', { name: 'blind one', rootId: lib.id, candidates: 'all' });
    const pw = await call(studio, 'sessions.create', {
      name: 'pairs',
      rootId: lib.id,
      kind: 'pairwise',
      candidates: 'all',
    });
    const link = await call(studio, 'raters.invite', { rater: 'ria', sessions: [s.id, pw.id] });
    const caller: Caller = { role: 'rater', linkId: link.id, rater: 'ria', sessions: [s.id, pw.id] };
    const as = async (channel: Channel, req: object) => {
      const r = await callAs(studio.db, studio.handlers, caller, channel, req);
      if (!r.ok) throw new Error(`${channel}: ${r.error}`);
      return r.value;
    };
    const first = (await as('sessions.item', { sessionId: s.id })) as SessionItem;
    const cand = first.candidates[0].id;
    const pair = ((await as('sessions.item', { sessionId: pw.id })) as SessionItem).candidates.map(
      (c) => c.id,
    );
    const requests: Record<string, object> = {
      'auth.me': {},
      'sessions.list': {},
      'sessions.item': { sessionId: s.id, position: 1 },
      'ratings.set': { sessionId: s.id, candidateId: cand, value: 4, seq: 1 },
      'ratings.prefer': { sessionId: pw.id, left: pair[0], right: pair[1], choice: 'a', seq: 1 },
      'ratings.undo': { sessionId: s.id, seq: 1 },
      'candidate.edit': { sessionId: s.id, candidateId: cand, text: 'a rater wrote this' },
    };
    expect([...RATER_CHANNELS].sort()).toEqual(Object.keys(requests).sort());
    for (const channel of RATER_CHANNELS) {
      const json = JSON.stringify(await as(channel, requests[channel]));
      expect(json, channel).not.toContain(folder);
      for (const n of names) expect(json, channel).not.toContain(n);
      expect(json, channel).not.toMatch(
        /"(rel|path|rootId|imageId|caption|model|runId|run_id|run|decoding)"/,
      );
      expect(json, channel).not.toMatch(/\bdefault\b|greedy|beam/);
    }
    // the image is still there to see, by its id
    expect(Object.keys(first.file)).toEqual(['fileId']);
    expect(first.candidates.map((c) => c.label)).toEqual(
      first.candidates.map((_, i) => `Caption ${'ABCDEF'[i]}`),
    );
  });
});
