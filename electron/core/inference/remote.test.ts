import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import type { FileInput } from './engine.ts';
import { BATCHES_AHEAD } from './pipeline.ts';
import { RemoteEngine } from './remote.ts';

let engine: RemoteEngine;
beforeAll(async () => {
  engine = await RemoteEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 });
});
afterAll(() => engine?.dispose());

describe('the inference worker pipeline', () => {
  it('keeps BATCHES_AHEAD batches in the worker, no more, and gives outcomes in input order', async () => {
    const files = await writeGoodImages(tempDir('cs-ahead-'), 40);
    const batch = 4;
    let pulled = 0;
    function* source(): Generator<FileInput> {
      for (const file of files) {
        pulled++;
        yield { file, bytes: readFileSync(file) };
      }
    }
    const outcomes = engine.captionFiles(source(), engine.decoding(), { batchSize: batch });
    const first = await outcomes.next();
    // the first batch is out and as many as the worker may hold are in it; the consumer now waits
    await new Promise((r) => setTimeout(r, 300));
    expect(pulled).toBe((BATCHES_AHEAD.batches + 1) * batch);
    const seen = [first.value!];
    let most = 0;
    for await (const o of outcomes) {
      seen.push(o);
      most = Math.max(most, pulled - seen.length);
    }
    expect(most).toBeLessThanOrEqual(BATCHES_AHEAD.batches * batch + batch);
    expect(seen.map((o) => o.input.file)).toEqual(files);
    expect(seen.every((o) => o.ok)).toBe(true);
  });
});
