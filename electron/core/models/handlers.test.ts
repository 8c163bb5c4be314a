/** The model handlers: what the studio captions with, loaded in its worker thread. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, openTestStudio } from '../../../e2e/support/studio.ts';
import type { Studio } from '../studio.ts';

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
});
