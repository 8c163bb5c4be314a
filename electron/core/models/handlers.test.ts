/** The model handlers: what the studio captions with, loaded in its worker thread. */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { writeHfCache } from '../../../test/fixtures/hub.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { call, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';
import { openStudio } from '../studio.ts';

let studio: Studio;
beforeAll(() => {
  studio = openTestStudio();
});
afterAll(() => studio?.close());

describe('model handlers', () => {
  it('engine.info names the model, where it runs and its patch grid', async () => {
    expect(await call(studio, 'engine.info', {})).toMatchObject({
      model: 'default',
      provider: 'cpu',
      grid: { rows: 6, cols: 6 },
    });
  });

  it('a model that cannot be loaded is named every time it is asked for (a failed load is not kept)', async () => {
    const broken = openTestStudio('/no/such/bundle');
    try {
      await expect(call(broken, 'engine.info', {})).rejects.toMatchObject({
        status: 404,
        message: '/no/such/bundle: model bundle folder not found',
      });
      await expect(call(broken, 'engine.info', {})).rejects.toMatchObject({ status: 404 });
    } finally {
      await broken.close();
    }
  });

  it('lists the built-in model, the Hugging Face cache and added folders; adds and removes', async () => {
    const cache = tempDir('cs-hf-');
    writeHfCache(cache, 'Xenova/vit-gpt2-image-captioning', join(FIXTURES, 'quantized-only'));
    writeHfCache(cache, 'onnx-community/Florence-2-base-ft', join(FIXTURES, 'florence-repo'));
    const s = openStudio({
      dataDir: tempDir('cs-models-'),
      hub: { endpoint: 'http://127.0.0.1:9', offline: true, cacheDir: cache },
    });
    try {
      const folder = join(FIXTURES, 'seq2seq-split');
      expect(await call(s, 'models.add', { path: folder })).toMatchObject({
        kind: 'folder',
        architecture: 'vit+gpt2',
      });
      const { installed, catalog, default: current } = await call(s, 'models.list', {});
      expect(current).toBe('default');
      // the Florence-2 row of the catalogue: its architecture is data there; what it can do comes
      // from the one list of families, the same for the catalogue and the installed copy
      const florence = catalog.find((c) => c.repo === 'onnx-community/Florence-2-base-ft')!;
      expect(florence.can).toEqual({
        family: florence.family,
        tasks: ['caption', 'detailed', 'more-detailed'],
        attention: true,
        nBest: true,
      });
      expect(installed.find((m) => m.ref === florence.repo)?.can).toEqual(florence.can);
      expect(installed[0].can).toMatchObject({ family: 'vision-encoder-decoder', tasks: [] });
      expect(installed.map((m) => [m.ref, m.kind, m.architecture, m.dtypes, m.tasks])).toEqual([
        ['default', 'default', 'captioner-v1', ['fp32'], []],
        ['Xenova/vit-gpt2-image-captioning', 'hub', 'vit+gpt2', ['q8'], []],
        [
          'onnx-community/Florence-2-base-ft',
          'hub',
          florence.architecture,
          ['fp32', 'fp16', 'q8'],
          ['caption', 'detailed', 'more-detailed'],
        ],
        [folder, 'folder', 'vit+gpt2', ['fp32'], []],
      ]);
      expect(installed[0].domain).toBe('synthetic-scenes');
      expect(installed.every((m) => m.bytes > 0)).toBe(true);
      expect(catalog.map((c) => c.repo)).toContain('onnx-community/Florence-2-base-ft');
      // a listed model can be named by requests; a folder that is not listed cannot
      expect(await call(s, 'engine.info', { model: folder })).toMatchObject({
        model: 'seq2seq-split',
        dtype: 'fp32',
      });
      await expect(call(s, 'engine.info', { model: FIXTURES })).rejects.toMatchObject({
        status: 404,
        field: 'model',
      });
      await expect(call(s, 'models.add', { path: join(FIXTURES, 'images') })).rejects.toMatchObject({
        status: 422,
      });
      await expect(call(s, 'models.remove', { ref: 'default' })).rejects.toMatchObject({ status: 409 });
      await call(s, 'models.remove', { ref: folder });
      expect(existsSync(folder)).toBe(true); // a removed folder's files stay
      await call(s, 'models.remove', { ref: 'Xenova/vit-gpt2-image-captioning' });
      expect(existsSync(join(cache, 'models--Xenova--vit-gpt2-image-captioning'))).toBe(false);
      expect((await call(s, 'models.list', {})).installed.map((m) => m.ref)).toEqual([
        'default',
        'onnx-community/Florence-2-base-ft',
      ]);
    } finally {
      await s.close();
    }
  });
});
