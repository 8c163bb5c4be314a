/** The image view's handlers on a real database file and the real model in its worker thread. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { ImageRow } from '../api/types.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let image: ImageRow;
beforeAll(async () => {
  studio = openTestStudio();
  const lib = await addLibrary(studio, 2);
  await captionRoot(studio, lib.id, { num_beams: 3, num_return_sequences: 3 });
  image = (await call(studio, 'library.images', { rootId: lib.id })).items[0];
});
afterAll(() => studio?.close());

describe('image view handlers', () => {
  it('shows every current run of an image with its candidates, scores and words', async () => {
    const d = await call(studio, 'image.get', { fileId: image.fileId });
    expect(d.width).toBeGreaterThan(0);
    expect(d.runs).toHaveLength(1);
    const [run] = d.runs;
    expect(run).toMatchObject({
      model: 'default',
      dtype: 'fp32',
      provider: 'cpu',
      decoding: { num_beams: 3 },
    });
    expect(run.candidates.map((c) => c.rank)).toEqual([0, 1, 2]);
    for (const c of run.candidates) {
      expect(c.hasAttention).toBe(true);
      expect(c.tokens.length).toBe(c.tokenLogprobs.length);
      // the words shown for hovering spell the caption; special tokens are blank
      expect(c.tokens.filter(Boolean).join(' ')).toBe(c.text);
      // length penalty 1: score = sum / length, both float64 from the same run (6 digits: the
      // division's rounding is ~1e-16; stored values pass through SQLite REAL unchanged)
      expect(c.score).toBeCloseTo(c.sum! / c.tokens.length, 6);
    }
  });

  it('re-captions with other settings as a new run beside the first; the same settings replace it', async () => {
    const greedy = await call(studio, 'image.recaption', { fileId: image.fileId, decoding: {} });
    expect(greedy.decoding).toMatchObject({ num_beams: 1 });
    expect((await call(studio, 'image.get', { fileId: image.fileId })).runs).toHaveLength(2);
    const again = await call(studio, 'image.recaption', { fileId: image.fileId, decoding: {} });
    expect(again.id).not.toBe(greedy.id);
    const runs = (await call(studio, 'image.get', { fileId: image.fileId })).runs.map((r) => r.id);
    expect(runs).toHaveLength(2);
    expect(runs).toContain(again.id);
    expect(runs).not.toContain(greedy.id);
  });

  it('rejects settings that break the rules with the field, before any work', async () => {
    await expect(
      call(studio, 'image.recaption', { fileId: image.fileId, decoding: { num_return_sequences: 4 } }),
    ).rejects.toMatchObject({ status: 400, field: 'decoding.num_return_sequences' });
    await expect(call(studio, 'image.recaption', { fileId: 9999, decoding: {} })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('gives each token a heat-map over the patch grid', async () => {
    const [c] = (await call(studio, 'image.get', { fileId: image.fileId })).runs[0].candidates;
    const h = await call(studio, 'candidate.attention', { candidateId: c.id });
    const info = await call(studio, 'engine.info', {});
    expect(h.shape).toEqual([c.tokens.length, info.grid!.rows, info.grid!.cols]);
    expect(h.data).toHaveLength(h.shape[0] * h.shape[1] * h.shape[2]);
    // each token's map is scaled to its own maximum
    expect(Math.max(...h.data.slice(0, info.grid!.rows * info.grid!.cols))).toBe(255);
  });

  it('keeps an edit as a human candidate after the model ones, pointing at its original', async () => {
    const [c] = (await call(studio, 'image.get', { fileId: image.fileId })).runs[0].candidates;
    const edit = await call(studio, 'candidate.edit', { candidateId: c.id, text: '  a person wrote this  ' });
    expect(edit).toMatchObject({
      source: 'human',
      text: 'a person wrote this',
      editedFrom: c.id,
      score: null,
    });
    const run = (await call(studio, 'image.get', { fileId: image.fileId })).runs[0];
    expect(run.candidates.at(-1)?.id).toBe(edit.id);
    expect(run.candidates[0].text).toBe(c.text);
    await expect(call(studio, 'candidate.attention', { candidateId: edit.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(call(studio, 'candidate.edit', { candidateId: c.id, text: '   ' })).rejects.toMatchObject({
      status: 400,
      field: 'text',
    });
  });
});
