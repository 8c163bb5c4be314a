/** `caption-studio search "QUERY" --scorer MODEL [--folder F]`: the library's images ranked by meaning. */
import { parseArgs } from 'node:util';
import type { Dtype } from '../core/api/contract.ts';
import { openStudio } from '../core/studio.ts';
import { call, check, intArg, table, UsageError } from './args.ts';
import { libraryRootId, SCORER_OPTIONS, scorerRef } from './score.ts';

const FLAGS = { scorer: 'scorer', dtype: 'dtype', limit: 'limit', offset: 'offset', query: 'query' };

export async function searchCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SCORER_OPTIONS,
      folder: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('search takes one query (quote it: "dog on a beach")');
  const scorer = values.scorer ?? values.clip;
  if (!scorer)
    throw new UsageError('search needs --scorer MODEL (the CLIP model the library was scored with)');
  const req = {
    query: positionals[0],
    scorer,
    dtype: values.dtype as Dtype | undefined,
    limit: intArg(values.limit, 'limit') ?? 20,
    offset: intArg(values.offset, 'offset') ?? 0,
  };
  check('search.images', req, FLAGS);
  const studio = openStudio({ dataDir: values['data-dir'] });
  try {
    const rootId = values.folder ? await libraryRootId(studio, values.folder) : undefined;
    const r = await call(
      studio,
      'search.images',
      { ...req, scorer: await scorerRef(studio, scorer), rootId },
      FLAGS,
    );
    const roots = new Map((await call(studio, 'library.roots', {})).map((x) => [x.id, x.path]));
    out.write(`${r.items.length} of ${r.searched} images scored by ${r.scorer} (${r.dtype}), best first:\n`);
    if (r.items.length)
      out.write(
        table(
          ['cosine', 'file', 'caption'],
          r.items.map((h) => [h.score.toFixed(4), `${roots.get(h.rootId)}/${h.rel}`, h.caption ?? '-']),
        ),
      );
    return 0;
  } finally {
    await studio.close();
  }
}
