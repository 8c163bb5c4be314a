/** `caption-studio caption <folder>`: scan, then caption as a job, with a progress bar; resumable. */
import { parseArgs } from 'node:util';
import { SYNTHETIC_DOMAIN, syntheticWarning } from '../core/api/catalog.ts';
import type { Dtype } from '../core/api/contract.ts';
import { DECODING_KEYS, type DecodingKey, settingOf, settingValue, type Task } from '../core/api/decoding.ts';
import { PROVIDERS, type Provider } from '../core/inference/providers.ts';
import { openStudio } from '../core/studio.ts';
import { call, check, floatArg, given, intArg, UsageError } from './args.ts';
import { follow, liveLine } from './follow.ts';
import { progressLine } from './progress.ts';

const stopping = (v: string | undefined) => (v === 'true' ? true : v === 'false' ? false : v);

/** A decoding setting's flag text as its request value (the contract checks it). */
function readSetting(key: DecodingKey, text: string | undefined) {
  const s = settingOf(key);
  return s.kind === 'int'
    ? intArg(text, s.flag)
    : s.kind === 'float'
      ? floatArg(text, s.flag)
      : stopping(text);
}

/** The decoding flags' lines of the help text, from the contract's descriptions. */
export function decodingUsage(): string {
  return DECODING_KEYS.map((k) => {
    const s = settingOf(k);
    const flag = `--${s.flag} ${settingValue(s)}`;
    // a flag too long for its column puts its help on the next line
    return flag.length > 19 ? `  ${flag}\n${' '.repeat(23)}${s.help}` : `  ${flag.padEnd(19)}  ${s.help}`;
  }).join('\n');
}

/** Request fields of `jobs.start` and the flags that set them, for error messages. */
const FLAGS: Record<string, string> = {
  ...Object.fromEntries(DECODING_KEYS.map((k) => [`decoding.${k}`, settingOf(k).flag])),
  'decoding.task': 'task',
  batchSize: 'batch-size',
  dtype: 'dtype',
};

export async function captionCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      dtype: { type: 'string' },
      task: { type: 'string' },
      ...Object.fromEntries(DECODING_KEYS.map((k) => [settingOf(k).flag, { type: 'string' as const }])),
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
    ...Object.fromEntries(DECODING_KEYS.map((k) => [k, readSetting(k, text(settingOf(k).flag))])),
    // the contract checks it is one of the tasks, and the model that it takes tasks
    task: values.task as Task | undefined,
  });
  const dtype = values.dtype as Dtype | undefined;
  const request = { decoding, batchSize: intArg(values['batch-size'], 'batch-size'), dtype };
  // dispatch's checks of the flags (ranges, the cross-field rules) before anything is opened or scanned
  check('jobs.start', request, FLAGS);
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
      { ...request, rootId: root.id, policy: values.overwrite ? 'overwrite' : 'skip-existing' },
      FLAGS,
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
