/**
 * CLIP scorers pulled and listed like captioners, in their own role: a pull of the CLIP fixture repo
 * (test-output/fixtures/clip-repo, laid out as Xenova/clip-vit-base-patch32) from the Hub on
 * loopback brings the two towers of the variant asked for, the JSON and merges.txt; the snapshot
 * opens as a scorer; `models.list` reports it with role 'scorer', apart from the captioners.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { startHub } from '../../../test/fixtures/hub.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { call } from '../../../test/fixtures/studio.ts';
import { ClipScorer } from '../inference/clip/scorer.ts';
import { openStudio } from '../studio.ts';
import { type HubEnv, planPull, pull } from './hub.ts';

const REPO = 'Xenova/clip-vit-base-patch32';
let hub: Awaited<ReturnType<typeof startHub>> | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

describe('CLIP scorers from the Hub', () => {
  it('pulls each variant: both towers, the JSON and merges.txt, and the snapshot scores', async () => {
    hub = await startHub({ [REPO]: { dir: join(FIXTURES, 'clip-repo') } });
    const env: HubEnv = { endpoint: hub.url, offline: false, cacheDir: tempDir('cs-hf-clip-') };
    const q8 = await planPull(env, REPO, 'main', 'q8');
    expect(q8.files.map((f) => f.path).sort()).toEqual([
      'config.json',
      'merges.txt',
      'onnx/text_model_quantized.onnx',
      'onnx/vision_model_quantized.onnx',
      'preprocessor_config.json',
    ]);
    // no variant asked for: fp32, which is there
    const fp32 = await planPull(env, REPO, 'main');
    expect(fp32.dtype).toBe('fp32');
    expect(fp32.files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path)).toEqual([
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
    ]);
    const snapshot = await pull(env, q8, () => {});
    const scorer = await ClipScorer.open(snapshot, '_quantized');
    try {
      const [e] = await scorer.embedCaptions(['a photo of a cat']);
      expect(e).toHaveLength(512);
    } finally {
      await scorer.release();
    }

    // listed as a scorer, with the variants it holds; refused as a captioner
    await pull(env, fp32, () => {});
    const studio = openStudio({ dataDir: tempDir('cs-models-clip-'), hub: { ...env, offline: true } });
    try {
      const { installed } = await call(studio, 'models.list', {});
      const clip = installed.find((m) => m.ref === REPO);
      expect(clip).toMatchObject({ role: 'scorer', architecture: 'clip', decoder: null, tasks: [] });
      expect(clip?.dtypes).toEqual(['fp32', 'q8']);
      expect(installed.filter((m) => m.role === 'captioner').map((m) => m.ref)).toContain('default');
      await expect(call(studio, 'engine.info', { model: REPO })).rejects.toMatchObject({
        status: 400,
        message: expect.stringMatching(/is a scorer \(CLIP\), not a captioner/),
      });
    } finally {
      await studio.close();
    }
  });
});
