/** `caption-studio caption <folder>`: scan, then caption as a job, with a progress bar; resumable. */
import { parseArgs } from 'node:util';
import { SYNTHETIC_DOMAIN, syntheticWarning } from '../core/api/catalog.ts';
import type { Dtype } from '../core/api/contract.ts';
import { type DecodingKey, DecodingOptions, type Task } from '../core/api/decoding.ts';
import { PROVIDERS, type Provider } from '../core/inference/runtime/providers.ts';
import { openStudio } from '../core/studio.ts';
import { call, floatArg, given, intArg, UsageError } from './args.ts';
import { follow, liveLine } from './follow.ts';
import { progressLine } from './progress.ts';

/** Each decoding setting's flag, and how its text is read. */
const DECODING_FLAGS: Record<DecodingKey, [flag: string, read: 'int' | 'float' | 'stopping']> = {
  num_beams: ['beams', 'int'],
  num_return_sequences: ['num-return', 'int'],
  max_length: ['max-length', 'int'],
  min_length: ['min-length', 'int'],
  length_penalty: ['length-penalty', 'float'],
  no_repeat_ngram_size: ['no-repeat-ngram', 'int'],
  repetition_penalty: ['repetition-penalty', 'float'],
  early_stopping: ['early-stopping', 'stopping'],
};

const stopping = (v: string | undefined) => (v === 'true' ? true : v === 'false' ? false : v);

export async function captionCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      dtype: { type: 'string' },
      task: { type: 'string' },
      ...Object.fromEntries(Object.values(DECODING_FLAGS).map(([f]) => [f, { type: 'string' as const }])),
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
  const provider = values.provider as Provider | undefined;
  if (provider !== undefined && !PROVIDERS.includes(provider))
    throw new UsageError(`--provider: expected one of ${PROVIDERS.join(', ')}`);
  const text = (f: string) => values[f as keyof typeof values] as string | undefined;
  const decoding = given({
    ...Object.fromEntries(
      Object.entries(DECODING_FLAGS).map(([key, [f, read]]) => [
        key,
        read === 'int' ? intArg(text(f), f) : read === 'float' ? floatArg(text(f), f) : stopping(text(f)),
      ]),
    ),
    // the contract checks it is one of the tasks, and the model that it takes tasks
    task: values.task as Task | undefined,
  });
  const flags = {
    ...Object.fromEntries(Object.entries(DECODING_FLAGS).map(([key, [f]]) => [`decoding.${key}`, f])),
    batchSize: 'batch-size',
    dtype: 'dtype',
    'decoding.task': 'task',
  };
  // the request's own checks (ranges, the cross-field rules) before anything is scanned
  const checked = DecodingOptions.safeParse(decoding);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const key = String(issue.path[0] ?? '');
    const flag = key in DECODING_FLAGS ? DECODING_FLAGS[key as DecodingKey][0] : key;
    throw new UsageError(`--${flag}: ${issue.message}`);
  }
  const dtype = values.dtype as Dtype | undefined;
  const studio = openStudio({
    dataDir: values['data-dir'],
    model: values.model,
    load: { provider, intraOpThreads: intArg(values.threads, 'threads') },
  });
  const line = liveLine(out, values.quiet);
  const job = follow(studio, 'jobs.progress', (p) => line.show(progressLine(p), p.done === p.total));
  let jobId = 0;
  const onSignal = () => {
    if (jobId) call(studio, 'jobs.stop', { jobId, action: 'pause' }).catch(() => {});
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const root = await call(studio, 'library.addRoot', { path: positionals[0] });
    const { scan } = root;
    out.write(
      `Scanned ${root.path}: ${scan.found} images (${scan.added} new, ${scan.changed} changed, ${scan.missing} gone)\n`,
    );
    for (const s of scan.skipped) out.write(`Skipped ${s.path}: ${s.reason}\n`);
    const info = await call(studio, 'engine.info', { dtype }, { dtype: 'dtype' });
    out.write(
      `Model ${info.model} (${info.dtype}) on ${info.provider}${info.notes.length ? ` (${info.notes.join('; ')})` : ''}\n`,
    );
    if (info.domain === SYNTHETIC_DOMAIN) out.write(`Note: ${syntheticWarning()}\n`);
    const started = await call(
      studio,
      'jobs.start',
      {
        rootId: root.id,
        decoding,
        policy: values.overwrite ? 'overwrite' : 'skip-existing',
        batchSize: intArg(values['batch-size'], 'batch-size') ?? 16,
        dtype,
      },
      flags,
    );
    jobId = started.id;
    const s = await job.until(started);
    line.end();
    if (s.state === 'failed') throw new Error(s.failure ?? 'the job failed');
    out.write(
      `${s.state === 'paused' ? 'Paused' : 'Done'}${s.resumed ? ' (resumed job)' : ''}: ${s.captioned} captioned, ` +
        `${s.skipped} already captioned, ${s.errors} new errors; ${s.errorList.length} files cannot be read:\n`,
    );
    for (const e of s.errorList)
      out.write(`  ${e.error.startsWith(e.path) ? e.error : `${e.path}: ${e.error}`}\n`);
    return s.state === 'paused' ? 130 : 0;
  } finally {
    job.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await studio.close();
  }
}
