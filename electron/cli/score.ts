/** `caption-studio score [FOLDER] --scorer MODEL`: CLIPScore of the library's current captions, stored. */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../core/api/contract.ts';
import { openStudio, type Studio } from '../core/studio.ts';
import { call, check, table, UsageError } from './args.ts';

const FLAGS = { scorer: 'scorer', dtype: 'dtype', refs: 'refs' };

/** The flags of the commands that use a CLIP scorer (score, search). */
export const SCORER_OPTIONS = {
  'data-dir': { type: 'string' },
  scorer: { type: 'string' },
  // the issue's name for it
  clip: { type: 'string' },
  dtype: { type: 'string' },
} as const;

/** The library folder a command line names (as given, or its real path). */
export async function libraryRootId(studio: Studio, folder: string): Promise<number> {
  const given = resolve(folder);
  const real = existsSync(given) ? realpathSync(given) : given;
  const root = (await call(studio, 'library.roots', {})).find((r) => r.path === real || r.path === given);
  if (!root)
    throw new Error(`${given}: not a library folder; caption it first (caption-studio caption ${given})`);
  return root.id;
}

/** A folder the owner names on the command line may be a scorer, as with `caption --model`: added, and named by its path. */
export async function scorerRef(studio: Studio, scorer: string): Promise<string> {
  if (!existsSync(resolve(scorer))) return scorer;
  await call(studio, 'models.add', { path: resolve(scorer) }).catch(() => {});
  return resolve(scorer);
}

export async function scoreCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...SCORER_OPTIONS, refs: { type: 'boolean' } },
  });
  if (positionals.length > 1) throw new UsageError('score takes at most one folder');
  const scorer = values.scorer ?? values.clip;
  if (!scorer) throw new UsageError('score needs --scorer MODEL (a CLIP model: ORG/NAME or a folder)');
  const req = { scorer, dtype: values.dtype as Dtype | undefined, refs: values.refs };
  check('scores.run', req, FLAGS);
  const studio = openStudio({ dataDir: values['data-dir'] });
  try {
    const rootId = positionals[0] ? await libraryRootId(studio, positionals[0]) : undefined;
    const s = await call(
      studio,
      'scores.run',
      { ...req, scorer: await scorerRef(studio, scorer), rootId },
      FLAGS,
    );
    const mean = (x: number | null) => (x === null ? '-' : x.toFixed(4));
    out.write(
      `Scored ${s.candidates} captions of ${s.images} images with ${s.scorer} (${s.dtype}): ` +
        `mean CLIPScore ${mean(s.meanClipScore)}${values.refs ? `, mean RefCLIPScore ${mean(s.meanRefClipScore)}` : ''}\n`,
    );
    for (const f of s.failed) out.write(`  not scored: ${f.error}\n`);
    const f3 = (x: number) => x.toFixed(3);
    if (s.sources.length)
      out.write(
        `\n${table(
          ['source', 'captions', 'CLIPScore (95% CI)', 'rated', 'Kendall τc vs rating (95% CI)'],
          s.sources.map((r) => [
            r.source,
            String(r.captions),
            `${f3(r.mean)} (${f3(r.lo)}–${f3(r.hi)})`,
            String(r.rated),
            r.tauC ? `${f3(r.tauC.tau)} (${f3(r.tauC.lo)}–${f3(r.tauC.hi)})` : '-',
          ]),
        )}`,
      );
    return s.failed.length ? 1 : 0;
  } finally {
    await studio.close();
  }
}
