/**
 * `caption-studio` command line: the same core the desktop app and the served mode use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DB, databasePath, defaultDataDir, openDatabase } from '../../db/open.ts';
import { runCounts } from '../../db/queries/captions.ts';
import { listRoots } from '../../db/queries/library.ts';
import { stmt } from '../../db/queries/statements.ts';
import { createHandlers } from '../core/api/handlers.ts';
import { parseDocumentFrequencies, scoreCaptions } from '../core/eval/metrics.ts';
import { importReferences } from '../core/eval/references.ts';
import { evaluationSummary } from '../core/eval/summary.ts';
import { exportDataset, FORMATS, type Format, type Split } from '../core/export/export.ts';
import { DecodingOptions } from '../core/inference/decoding.ts';
import { CaptionEngine } from '../core/inference/engine.ts';
import type { Provider } from '../core/inference/providers.ts';
import { type JobProgress, runCaptionJob } from '../core/jobs/caption-job.ts';
import { scanFolder } from '../core/library/scan.ts';
import { serve } from '../core/server.ts';
import { progressLine } from './progress.ts';

export const DEFAULT_MODEL_DIR = resolve(import.meta.dirname, '../../models/default');
export const RENDERER_DIR = resolve(import.meta.dirname, '../../renderer/dist');

const USAGE = `Usage: caption-studio <command> [options]

Commands:
  caption <folder>     scan the folder and caption every image in it (resumable)
  status               what the library holds: folders, images, captions, errors
  serve                the studio in a browser: prints a localhost URL with a fresh access token
  import-refs <file>   reference captions: COCO captions JSON or image<TAB>caption lines
  eval                 per model/config: BLEU-4, CIDEr-D, ROUGE-L, mean rating (95% CI), win rate
  export               rated captions: --format coco|coco-results|imagefolder|csv|sidecars|preferences --out PATH
  metrics <file.json>  BLEU-1..4, CIDEr-D, ROUGE-L of {"items":[{"references":[...],"hypothesis":"..."}]}

Common options:
  --data-dir DIR       where the database lives (default: $CAPTION_STUDIO_DATA_DIR or ${defaultDataDir()})

caption options:
  --model DIR          model bundle (Hugging Face ONNX layout; default: the shipped bundle)
  --beams N            beam search with N beams (default: the model's generation_config.json)
  --num-return N       candidates kept per image (<= beams)
  --max-length N, --min-length N, --length-penalty X, --no-repeat-ngram N, --repetition-penalty X
  --early-stopping true|false|never
  --overwrite          caption again images that already have captions for this model and config
  --skip-existing      (default) leave those alone
  --batch-size N       images per inference batch (default 16)
  --threads N          ONNX Runtime intra-op threads (default: all cores)
  --provider P         cuda | dml | coreml | cpu (default: the best available)
  --quiet              no progress bar

serve options:
  --host H             interface to listen on (default 127.0.0.1; anything else exposes the studio)
  --port N             port (default: a free one)
  --model DIR          model bundle for captioning from the UI

export options:
  --min-rating X, --raters a,b, --sessions 1,2, --split train|val|test (stable split by image hash),
  --overwrite, --images copy|link (imagefolder)

metrics options:
  --df FILE            CIDEr-D document frequencies {"images": N, "df": {"ngram": count}} (default: the file's references)
  --per-image          also print each item's scores
`;

class UsageError extends Error {}

function intArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name}: expected a whole number, got '${v}'`);
  return n;
}

function floatArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${v}'`);
  return n;
}

function openDb(dataDir: string | undefined): DB {
  return openDatabase(databasePath(resolve(dataDir ?? defaultDataDir())));
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'caption':
        return await captionCommand(rest, out);
      case 'status':
        return statusCommand(rest, out);
      case 'metrics':
        return metricsCommand(rest, out, err);
      case 'serve':
        return await serveCommand(rest, out);
      case 'import-refs':
        return importRefsCommand(rest, out);
      case 'eval':
        return evalCommand(rest, out);
      case 'export':
        return exportCommand(rest, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.write(USAGE);
        return command ? 0 : 2;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`caption-studio: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err.write(`caption-studio: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

async function captionCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      beams: { type: 'string' },
      'num-return': { type: 'string' },
      'max-length': { type: 'string' },
      'min-length': { type: 'string' },
      'length-penalty': { type: 'string' },
      'no-repeat-ngram': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      'early-stopping': { type: 'string' },
      overwrite: { type: 'boolean' },
      'skip-existing': { type: 'boolean' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      provider: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('caption takes exactly one folder');
  if (values.overwrite && values['skip-existing'])
    throw new UsageError('--overwrite and --skip-existing exclude each other');
  const es = values['early-stopping'];
  if (es !== undefined && !['true', 'false', 'never'].includes(es)) {
    throw new UsageError(`--early-stopping: expected true, false or never, got '${es}'`);
  }
  const options = DecodingOptions.parse(
    Object.fromEntries(
      Object.entries({
        num_beams: intArg(values.beams, 'beams'),
        num_return_sequences: intArg(values['num-return'], 'num-return'),
        max_length: intArg(values['max-length'], 'max-length'),
        min_length: intArg(values['min-length'], 'min-length'),
        length_penalty: floatArg(values['length-penalty'], 'length-penalty'),
        no_repeat_ngram_size: intArg(values['no-repeat-ngram'], 'no-repeat-ngram'),
        repetition_penalty: floatArg(values['repetition-penalty'], 'repetition-penalty'),
        early_stopping: es === undefined ? undefined : es === 'never' ? 'never' : es === 'true',
      }).filter(([, v]) => v !== undefined),
    ),
  );
  const modelDir = resolve(values.model ?? process.env.CAPTION_STUDIO_MODEL ?? DEFAULT_MODEL_DIR);
  const db = openDb(values['data-dir']);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let engine: CaptionEngine | undefined;
  try {
    const scan = await scanFolder(db, positionals[0]);
    out.write(
      `Scanned ${scan.root.path}: ${scan.found} images (${scan.added} new, ${scan.changed} changed, ${scan.missing} gone)\n`,
    );
    engine = await CaptionEngine.load(modelDir, {
      provider: values.provider as Provider | undefined,
      intraOpThreads: intArg(values.threads, 'threads'),
    });
    const { provider, providerNotes } = engine.info;
    out.write(
      `Model ${engine.info.name} on ${provider}${providerNotes.length ? ` (${providerNotes.join('; ')})` : ''}\n`,
    );
    const decoding = engine.decoding(options);
    const tty = 'isTTY' in out && (out as NodeJS.WriteStream).isTTY && !values.quiet;
    let lastLine = 0;
    const onProgress = (p: JobProgress) => {
      if (values.quiet) return;
      const now = Date.now();
      if (tty) out.write(`\r${progressLine(p)}`);
      else if (now - lastLine > 2000 || p.done === p.total) {
        out.write(`${progressLine(p)}\n`);
        lastLine = now;
      }
    };
    const s = await runCaptionJob(db, engine, {
      rootId: scan.root.id,
      decoding,
      policy: values.overwrite ? 'overwrite' : 'skip-existing',
      batchSize: intArg(values['batch-size'], 'batch-size') ?? 16,
      signal: controller.signal,
      onProgress,
    });
    if (tty) out.write('\n');
    out.write(
      `${s.state === 'paused' ? 'Paused' : 'Done'}${s.resumed ? ' (resumed job)' : ''}: ${s.captioned} captioned, ` +
        `${s.skipped} already captioned, ${s.errors} new errors; ${s.errorList.length} files cannot be read:\n`,
    );
    for (const e of s.errorList)
      out.write(`  ${e.error.startsWith(e.path) ? e.error : `${e.path}: ${e.error}`}\n`);
    return s.state === 'paused' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine?.dispose();
    db.close();
  }
}

function statusCommand(argv: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } } });
  const dir = resolve(values['data-dir'] ?? defaultDataDir());
  if (!existsSync(join(dir, 'studio.sqlite'))) {
    out.write(`No library yet at ${dir}. Start with: caption-studio caption <folder>\n`);
    return 0;
  }
  const db = openDb(dir);
  try {
    out.write(`Data: ${databasePath(dir)}\n`);
    for (const r of listRoots(db)) {
      const counts = stmt<[number], { status: string; n: number }>(
        db,
        'SELECT status, count(*) AS n FROM files WHERE root_id = ? GROUP BY status',
      ).all(r.id);
      const c = Object.fromEntries(counts.map((x) => [x.status, x.n]));
      out.write(
        `Folder ${r.path}: ${c.ok ?? 0} images, ${c.new ?? 0} not yet read, ${c.error ?? 0} errors, ${c.missing ?? 0} missing\n`,
      );
    }
    for (const rc of runCounts(db))
      out.write(`Captions: ${rc.runs} images by ${rc.model} with ${rc.config}\n`);
    const jobs = stmt<[], { id: number; state: string; path: string }>(
      db,
      "SELECT j.id, j.state, r.path FROM jobs j JOIN library_roots r ON r.id = j.root_id WHERE j.state IN ('running', 'paused')",
    ).all();
    for (const j of jobs)
      out.write(`Unfinished job ${j.id} on ${j.path} (${j.state}): run caption again to resume\n`);
    return 0;
  } finally {
    db.close();
  }
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

function metricsCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
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

async function serveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
  });
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`${RENDERER_DIR}: the UI is not built; run: npm run build`);
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  const modelDir = resolve(values.model ?? process.env.CAPTION_STUDIO_MODEL ?? DEFAULT_MODEL_DIR);
  const db = openDb(dataDir);
  const core = createHandlers({ db, engine: () => CaptionEngine.load(modelDir) });
  const server = await serve({
    db,
    handlers: core.handlers,
    rendererDir: RENDERER_DIR,
    thumbsDir: join(dataDir, 'thumbnails'),
    host: values.host ?? '127.0.0.1',
    port: intArg(values.port, 'port') ?? 0,
  });
  out.write(`Caption Studio is at ${server.url}\n(data: ${dataDir}; Ctrl+C stops)\n`);
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  await server.close();
  await core.close();
  db.close();
  return 0;
}

function importRefsCommand(argv: string[], out: NodeJS.WritableStream): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('import-refs takes exactly one file');
  const db = openDb(values['data-dir']);
  try {
    const s = importReferences(db, resolve(positionals[0]));
    out.write(`Imported ${s.added} reference captions for ${s.matchedImages} images from ${s.file}\n`);
    if (s.unmatched.length)
      out.write(`Not in the library (${s.unmatched.length}): ${s.unmatched.slice(0, 20).join(', ')}\n`);
    return 0;
  } finally {
    db.close();
  }
}

const fmt = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));

function evalCommand(argv: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  });
  const db = openDb(values['data-dir']);
  try {
    const s = evaluationSummary(db);
    if (values.json) {
      out.write(`${JSON.stringify(s)}\n`);
      return 0;
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
      'win rate',
      'BT',
    ];
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
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const line of [header, ...rows])
      out.write(`${line.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
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
    return 0;
  } finally {
    db.close();
  }
}

function exportCommand(argv: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'min-rating': { type: 'string' },
      raters: { type: 'string' },
      sessions: { type: 'string' },
      split: { type: 'string' },
      overwrite: { type: 'boolean' },
      images: { type: 'string' },
    },
  });
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}`);
  if (values.split && !['train', 'val', 'test'].includes(values.split))
    throw new UsageError('--split: expected train, val or test');
  if (values.images && !['copy', 'link'].includes(values.images))
    throw new UsageError('--images: expected copy or link');
  const db = openDb(values['data-dir']);
  try {
    const r = exportDataset(db, {
      format,
      out: values.out,
      minRating: floatArg(values['min-rating'], 'min-rating'),
      raters: values.raters?.split(',').filter(Boolean),
      sessions: values.sessions?.split(',').map((x) => intArg(x, 'sessions')!),
      split: values.split as Split | undefined,
      overwrite: values.overwrite,
      images: values.images as 'copy' | 'link' | undefined,
    });
    out.write(
      `Exported ${r.rows} rows as ${r.format}${r.written.length === 1 ? ` to ${r.written[0]}` : ` (${r.written.length} files)`}\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
