/** `caption-studio models list|pull|add|remove`: the models the studio can caption with. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../core/api/contract.ts';
import { openStudio, type Studio } from '../core/studio.ts';
import { call, table, UsageError } from './args.ts';
import { follow, liveLine } from './follow.ts';
import { megabytes, pullLine } from './progress.ts';

const SUBCOMMANDS = ['list', 'pull', 'add', 'remove'];

export async function modelsCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`models: expected one of ${SUBCOMMANDS.join(', ')}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      dtype: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const wants = sub === 'list' ? 0 : 1;
  if (positionals.length !== wants)
    throw new UsageError(`models ${sub} takes ${wants ? 'one argument' : 'no arguments'}`);
  const studio = openStudio({ dataDir: values['data-dir'] });
  try {
    if (sub === 'list') return await list(studio, out, values.json);
    if (sub === 'pull')
      return await pullModel(studio, positionals[0], values.dtype as Dtype | undefined, out, values.quiet);
    if (sub === 'add') {
      const m = await call(studio, 'models.add', { path: resolve(positionals[0]) });
      out.write(`Added ${m.name} (${m.architecture}; ${m.dtypes.join(', ')}) from ${m.path}\n`);
    } else {
      await call(studio, 'models.remove', { ref: positionals[0] });
      out.write(`Removed ${positionals[0]}\n`);
    }
    return 0;
  } finally {
    await studio.close();
  }
}

async function list(studio: Studio, out: NodeJS.WritableStream, json?: boolean): Promise<number> {
  const { installed, catalog } = await call(studio, 'models.list', {});
  if (json) {
    out.write(`${JSON.stringify(installed)}\n`);
    return 0;
  }
  const captioners = installed.filter((m) => m.role === 'captioner');
  const scorers = installed.filter((m) => m.role === 'scorer');
  const rows = captioners.map((m) => [
    m.ref,
    m.architecture ?? '?',
    m.dtypes.join(','),
    m.decoder ?? '',
    megabytes(m.bytes),
    m.domain ?? '',
    m.path,
  ]);
  out.write(table(['model', 'architecture', 'variants', 'decoder', 'size', 'domain', 'where'], rows));
  if (scorers.length) {
    out.write('\nScorers (caption-studio score --scorer MODEL):\n');
    const srows = scorers.map((m) => [
      m.ref,
      m.architecture ?? '?',
      m.dtypes.join(','),
      megabytes(m.bytes),
      m.path,
    ]);
    out.write(table(['scorer', 'architecture', 'variants', 'size', 'where'], srows));
  }
  const missing = catalog.filter((c) => !installed.some((m) => m.ref === c.repo));
  if (missing.length) {
    out.write('\nKnown captioners you can pull:\n');
    for (const c of missing)
      out.write(`  caption-studio models pull ${c.repo}   # ${c.title}: ${c.domain}\n`);
  }
  return 0;
}

async function pullModel(
  studio: Studio,
  repo: string,
  dtype: Dtype | undefined,
  out: NodeJS.WritableStream,
  quiet?: boolean,
): Promise<number> {
  const line = liveLine(out, quiet);
  const progress = follow(studio, 'models.pull', (p) => line.show(pullLine(p)));
  const onSignal = () => {
    for (const p of studio.models.listPulls())
      call(studio, 'models.cancelPull', { id: p.id }).catch(() => {});
  };
  process.once('SIGINT', onSignal);
  try {
    const started = await call(studio, 'models.pull', { repo, dtype }, { repo: 'repo', dtype: 'dtype' });
    out.write(
      `Pulling ${started.repo}@${started.revision} (${started.dtype}): ${started.files} files, ` +
        `${megabytes(started.totalBytes)} to download into ${studio.models.hub.cacheDir}\n`,
    );
    const end = await progress.until(started);
    if (end.state === 'done') line.show(pullLine(end), true);
    line.end();
    if (end.state !== 'done') throw new Error(end.error ?? `the download was ${end.state}`);
    const { installed } = await call(studio, 'models.list', {});
    const scorer = installed.some((m) => m.ref === repo && m.role === 'scorer');
    out.write(
      `Done: ${scorer ? 'score with --scorer' : 'caption with --model'} ${repo}${dtype ? ` --dtype ${dtype}` : ''}\n`,
    );
    return 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
  }
}
