/** The CLI commands besides `caption`: each builds contract requests and prints the answers. */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { databasePath, defaultDataDir } from '../../db/open.ts';
import type { JobState } from '../core/api/contract.ts';
import { decodingSummary } from '../core/api/decoding.ts';
import type { JobView, SessionView } from '../core/api/types.ts';
import { parseDocumentFrequencies, scoreCaptions } from '../core/eval/metrics.ts';
import { writePrivateFile } from '../core/paths.ts';
import { isLoopback } from '../core/serve/guard.ts';
import { serve } from '../core/serve/http.ts';
import { openStudio, type Studio } from '../core/studio.ts';
import { call, floatArg, intArg, listArg, table, UsageError } from './args.ts';
import { liveLine } from './follow.ts';
import { exportLine } from './progress.ts';

export const RENDERER_DIR = resolve(import.meta.dirname, '../../renderer/dist');

export async function withStudio(
  dataDir: string | undefined,
  run: (s: Studio) => Promise<void>,
): Promise<number> {
  const studio = openStudio({ dataDir });
  try {
    await run(studio);
    return 0;
  } finally {
    await studio.close();
  }
}

/** Job states that `caption` resumes: everything else is over. */
const UNFINISHED = new Set<JobState>(['running', 'paused']);

function jobLine(j: JobView): string {
  const failure = j.failure ? `: ${j.failure}` : '';
  return `job ${j.id} on ${j.folder} (${j.state}): ${j.done} of ${j.total} images${failure}`;
}

export async function statusCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } } });
  const dir = resolve(values['data-dir'] ?? defaultDataDir());
  if (!existsSync(databasePath(dir))) {
    out.write(`No library yet at ${dir}. Start with: caption-studio caption <folder>\n`);
    return 0;
  }
  return withStudio(dir, async (studio) => {
    out.write(`Data: ${databasePath(dir)}\n\n`);
    const roots = await call(studio, 'library.roots', {});
    out.write(
      table(
        ['folder', 'images', 'not yet read', 'errors', 'missing'],
        roots.map((r) => [r.path, r.images - r.unread - r.errors, r.unread, r.errors, r.missing].map(String)),
      ),
    );
    const runs = await call(studio, 'library.runs', {});
    if (runs.length)
      out.write(
        `\n${table(
          ['captions', 'model', 'decoding'],
          runs.map((run) => [String(run.images), run.model, decodingSummary(run.decoding)]),
        )}`,
      );
    const jobs = await call(studio, 'jobs.list', {});
    // finished jobs are history; only a paused or interrupted one is waiting to be resumed
    const unfinished = jobs.filter((j) => UNFINISHED.has(j.state));
    const finished = jobs.filter((j) => !UNFINISHED.has(j.state));
    if (finished.length) {
      out.write(`\nFinished jobs:\n`);
      for (const j of finished) out.write(`  ${jobLine(j)}\n`);
    }
    if (unfinished.length) {
      out.write(`\nUnfinished jobs (run caption again on the folder to resume):\n`);
      for (const j of unfinished) out.write(`  ${jobLine(j)}\n`);
    }
  });
}

export async function serveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'exports-dir': { type: 'string' },
    },
  });
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`${RENDERER_DIR}: the UI is not built; run: npm run build`);
  }
  const port = intArg(values.port, 'port') ?? 0;
  const studio = openStudio({ dataDir: values['data-dir'], model: values.model });
  const host = values.host ?? '127.0.0.1';
  const exportsDir = servedExportsDir(values['exports-dir'], host, studio.dataDir);
  const server = await serve({ ...studio, rendererDir: RENDERER_DIR, host, port, exportsDir });
  out.write(`Caption Studio is at ${server.url}\n(data: ${studio.dataDir}; Ctrl+C stops)\n`);
  if (exportsDir) out.write(`Exports are written into ${exportsDir} only\n`);
  // where `caption-studio invite` finds this server, to print raters' links
  const address = join(studio.dataDir, SERVE_FILE);
  writePrivateFile(address, JSON.stringify({ url: new URL(server.url).origin, pid: process.pid }));
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  rmSync(address, { force: true });
  await server.close();
  await studio.close();
  return 0;
}

const SERVE_FILE = 'serve.json';

/**
 * Where the served mode may write exports: `--exports-dir`; when not on localhost and none is
 * named, the data folder's `exports` (never anywhere the process may write); on localhost, anywhere
 * the owner names. Made if missing; its real path.
 */
export function servedExportsDir(
  given: string | undefined,
  host: string,
  dataDir: string,
): string | undefined {
  const dir = given ? resolve(given) : isLoopback(host) ? undefined : join(dataDir, 'exports');
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return realpathSync(dir);
}

/**
 * The sessions that give a rater images: those everyone rates, and those assigning the rater a
 * share. `invite` without `--session` invites to these, never to one with nothing to rate.
 */
export function sessionsGiving(sessions: SessionView[], rater: string): number[] {
  if (!sessions.length) throw new Error('no rating sessions yet: create one first');
  const name = rater.trim();
  const ids = sessions.filter((s) => s.overlap === null || s.raters.includes(name)).map((s) => s.id);
  if (!ids.length)
    throw new Error(
      `no rating session gives ${name} images (each assigns its images to others): name one with --session ID`,
    );
  return ids;
}

/** `invite --rater NAME [--session ID]...`, `invite --list`, `invite --revoke ID`: raters' links. */
export async function inviteCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      rater: { type: 'string' },
      session: { type: 'string', multiple: true },
      url: { type: 'string' },
      list: { type: 'boolean' },
      revoke: { type: 'string' },
    },
  });
  return withStudio(values['data-dir'], async (studio) => {
    if (values.list) {
      for (const l of await call(studio, 'raters.list', {}))
        out.write(
          `${l.id}\t${l.rater}\tsessions ${l.sessions.join(',')}\t${l.revoked ? 'revoked' : 'live'}\t${l.createdAt}\n`,
        );
      return;
    }
    if (values.revoke !== undefined) {
      const l = await call(studio, 'raters.revoke', { id: intArg(values.revoke, 'revoke')! });
      out.write(`Revoked link ${l.id} of ${l.rater}\n`);
      return;
    }
    if (!values.rater) throw new UsageError('invite needs --rater NAME (or --list, --revoke ID)');
    const sessions =
      values.session?.map((v) => intArg(v, 'session')!) ??
      sessionsGiving(await call(studio, 'sessions.list', {}), values.rater);
    const link = await call(
      studio,
      'raters.invite',
      { rater: values.rater, sessions },
      { sessions: 'session' },
    );
    const file = join(studio.dataDir, SERVE_FILE);
    const base = values.url ?? (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).url : undefined);
    out.write(
      base
        ? `${new URL(`/?token=${link.token}`, base)}\n`
        : `Token ${link.token}\n(no server running: start caption-studio serve, then open its address with ?token=${link.token})\n`,
    );
    out.write(
      `Link ${link.id} for ${link.rater}: rating sessions ${link.sessions.join(', ')} only; caption-studio invite --revoke ${link.id} ends it\n`,
    );
  });
}

export async function importRefsCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('import-refs takes exactly one file');
  return withStudio(values['data-dir'], async (studio) => {
    const s = await call(studio, 'eval.importReferences', { path: resolve(positionals[0]) });
    out.write(`Imported ${s.added} reference captions for ${s.matchedImages} images from ${s.file}\n`);
    if (s.unmatched.length)
      out.write(`Not in the library (${s.unmatched.length}): ${s.unmatched.slice(0, 20).join(', ')}\n`);
  });
}

const fmt = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));

export async function evalCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  });
  return withStudio(values['data-dir'], async (studio) => {
    const s = await call(studio, 'eval.summary', {});
    if (values.json) {
      out.write(`${JSON.stringify(s)}\n`);
      return;
    }
    const header = [
      'model / config',
      'images',
      'w/ refs',
      'BLEU-4',
      'CIDEr-D',
      'ROUGE-L',
      'rating (95% CI)',
      'n',
    ];
    header.push('win rate', 'BT');
    // per scorer: mean CLIPScore (95% CI) and its Kendall tau-c against the mean rating
    for (const c of s.scorers) header.push(`CLIPScore ${c.name}${c.dtype ? ` ${c.dtype}` : ''}`, 'tau-c');
    const rows = s.rows.map((r) => [
      r.source,
      String(r.images),
      String(r.withReferences),
      fmt(r.bleu4),
      fmt(r.ciderD),
      fmt(r.rougeL),
      r.meanRating === null
        ? '-'
        : `${r.meanRating.toFixed(2)} (${fmt(r.ratingLo, 2)}-${fmt(r.ratingHi, 2)})`,
      String(r.ratings),
      r.winRate === null ? '-' : `${(r.winRate * 100).toFixed(0)}%`,
      fmt(r.bradleyTerry),
      ...r.clip.flatMap((c) =>
        c === null ? ['-', '-'] : [`${fmt(c.mean)} (${fmt(c.lo)}-${fmt(c.hi)})`, fmt(c.tauC?.tau ?? null)],
      ),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const line of [header, ...rows])
      out.write(
        `${line
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()}\n`,
      );
    const a = s.agreement;
    out.write(
      `\nAgreement: Krippendorff's alpha (ordinal) ${fmt(a.alpha)} over ${a.items} captions rated by 2+ of ${a.raters} raters\n`,
    );
    out.write(
      `CIDEr-D vs mean human rating: Kendall tau ${fmt(s.kendallTau)} over ${s.scatter.length} captions\n`,
    );
    if (s.disagreed.length) {
      out.write('Most disagreed:\n');
      for (const d of s.disagreed.slice(0, 5)) out.write(`  [${d.values.join(', ')}] ${d.text}\n`);
    }
  });
}

/** Request fields and the flags that set them, for error messages. */
const EXPORT_FLAGS = {
  format: 'format',
  policy: 'policy',
  out: 'out',
  minRating: 'min-rating',
  raters: 'raters',
  sessions: 'sessions',
  split: 'split',
  images: 'images',
  overwrite: 'overwrite',
  beside: 'beside-images',
};

export async function exportCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      policy: { type: 'string' },
      out: { type: 'string' },
      'min-rating': { type: 'string' },
      raters: { type: 'string' },
      sessions: { type: 'string' },
      split: { type: 'string' },
      images: { type: 'string' },
      overwrite: { type: 'boolean' },
      'beside-images': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const request = {
    format: values.format,
    policy: values.policy,
    out: values.out && resolve(values.out),
    minRating: floatArg(values['min-rating'], 'min-rating'),
    raters: listArg(values.raters),
    sessions: listArg(values.sessions)?.map((x) => intArg(x, 'sessions')!),
    split: values.split,
    images: values.images,
    overwrite: values.overwrite,
    beside: values['beside-images'],
  };
  return withStudio(values['data-dir'], async (studio) => {
    // a progress bar on the export's pushed progress; Ctrl-C cancels it (nothing half-written stays)
    const line = liveLine(out, values.quiet);
    let running = 0;
    const stop = studio.events.on((m) => {
      if (m.event !== 'export.progress') return;
      running = m.data.state === 'running' ? m.data.id : 0;
      if (m.data.total) line.show(exportLine(m.data), m.data.state !== 'running');
    });
    const onSignal = () => {
      if (running) call(studio, 'export.cancel', { id: running }).catch(() => {});
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      // the contract checks the values: a bad one comes back as its flag
      const r = await call(
        studio,
        'export.run',
        request as Parameters<Studio['handlers']['export.run']>[0],
        EXPORT_FLAGS,
      );
      line.end();
      const where = r.written.length === 1 ? ` to ${r.written[0]}` : ` (${r.written.length} files)`;
      out.write(`Exported ${r.rows} rows as ${r.format}${where}${r.note ? `: ${r.note}` : ''}\n`);
    } finally {
      stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

/** A calculator on a file, not a studio API: scores hypotheses against references. */
export function metricsCommand(
  argv: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { df: { type: 'string' }, 'per-image': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('metrics takes exactly one JSON file');
  const file = positionals[0];
  const data = readJsonFile(file) as { items?: unknown };
  if (!Array.isArray(data?.items)) throw new Error(`${file}: field 'items' must be an array`);
  const items = data.items.map((it: unknown, i: number) => {
    const o = it as { references?: unknown; hypothesis?: unknown };
    if (!Array.isArray(o?.references) || !o.references.every((r) => typeof r === 'string')) {
      throw new Error(`${file}: items[${i}].references must be an array of strings`);
    }
    if (typeof o.hypothesis !== 'string') throw new Error(`${file}: items[${i}].hypothesis must be a string`);
    return { references: o.references as string[], hypothesis: o.hypothesis };
  });
  const df = values.df ? parseDocumentFrequencies(readJsonFile(values.df), values.df) : undefined;
  const { corpus, perImage } = scoreCaptions(items, {
    documentFrequencies: df,
    warn: (m) => err.write(`warning: ${m}\n`),
  });
  const result = { bleu: corpus.bleu, cider_d: corpus.cider_d, rouge_l: corpus.rouge_l };
  out.write(`${JSON.stringify(values['per-image'] ? { ...result, per_image: perImage } : result)}\n`);
  return 0;
}
