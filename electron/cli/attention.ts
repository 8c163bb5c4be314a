/**
 * `caption-studio attention IMAGE --model M [--dtype D] [--task T] [--beams N --num-return N]
 * [--raw] [--opacity X] --out DIR`: DIR/attention.json (every candidate's per-step and per-word maps
 * over the image cells) and one overlay PNG per word per candidate, drawn as the studio draws them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { Dtype } from '../core/api/contract.ts';
import type { Task } from '../core/api/decoding.ts';
import { CaptionEngine } from '../core/inference/engine.ts';
import { overlayRGB } from '../core/inference/graph/heatmap.ts';
import { attentionMaps, type LayerPick } from '../core/inference/graph/maps.ts';
import { openStudio } from '../core/studio.ts';
import { floatArg, given, intArg, UsageError } from './args.ts';

/** A word as part of a file name: letters and digits only. */
const slug = (w: string) => w.replace(/[^\p{L}\p{N}]+/gu, '').slice(0, 32) || 'word';

/** A layer or head flag: a 0-based index or one of `words`. */
function pickArg(v: string | undefined, name: string, words: string[]): number | string | undefined {
  if (v === undefined || words.includes(v)) return v;
  if (!/^\d+$/.test(v))
    throw new UsageError(`--${name}: expected ${words.join(', ')} or an index from 0, got '${v}'`);
  return Number(v);
}

export async function attentionCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      dtype: { type: 'string' },
      task: { type: 'string' },
      beams: { type: 'string' },
      'num-return': { type: 'string' },
      raw: { type: 'boolean' },
      layer: { type: 'string' },
      head: { type: 'string' },
      opacity: { type: 'string' },
      threads: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('attention takes exactly one image');
  if (!values.out) throw new UsageError('--out: the folder to write attention.json and the PNGs into');
  const opacity = floatArg(values.opacity, 'opacity') ?? 0.6;
  if (opacity < 0 || opacity > 1) throw new UsageError(`--opacity: expected 0 to 1, got ${opacity}`);
  const pick = {
    layer: pickArg(values.layer, 'layer', ['last', 'mean']) ?? 'last',
    head: pickArg(values.head, 'head', ['mean']) ?? 'mean',
  } as LayerPick;
  const image = resolve(positionals[0]);
  const studio = openStudio({ dataDir: values['data-dir'], model: values.model });
  let engine: CaptionEngine | null = null;
  try {
    const m = await studio.models.resolve(); // --model: any folder or cached repository, as for caption
    engine = await CaptionEngine.load(m.dir, {
      dtype: values.dtype as Dtype | undefined,
      intraOpThreads: intArg(values.threads, 'threads'),
      attention: { dataDir: studio.dataDir },
      label: m.label,
      source: m.source,
    });
    const d = engine.decoding(
      given({
        num_beams: intArg(values.beams, 'beams'),
        num_return_sequences: intArg(values['num-return'], 'num-return'),
        task: values.task as Task | undefined,
      }),
    );
    const { pixels } = await engine.preprocess(image);
    const report = await attentionMaps(engine, pixels, d, values.raw ?? false, pick).catch((err) => {
      throw err instanceof RangeError ? new UsageError(`--${err.message}`) : err;
    });
    const dir = resolve(values.out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'attention.json'),
      JSON.stringify({ model: m.label, dtype: engine.info.dtype, ...report }),
    );
    const { data, info } = await sharp(image)
      .rotate()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    let pngs = 0;
    for (const [ci, c] of report.candidates.entries()) {
      for (const [wi, w] of c.words.entries()) {
        const rgb = overlayRGB(data, w.cells, report.grid, info.width, info.height, opacity);
        const name = `c${ci}-w${String(wi).padStart(2, '0')}-${slug(w.text)}.png`;
        await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } })
          .png()
          .toFile(join(dir, name));
        pngs++;
      }
      out.write(`${ci}: ${c.text}\n`);
    }
    out.write(`Wrote ${join(dir, 'attention.json')} and ${pngs} heat-maps (grid ${report.grid.join('x')})\n`);
    return 0;
  } finally {
    await engine?.dispose();
    await studio.close();
  }
}
