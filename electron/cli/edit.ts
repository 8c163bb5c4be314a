/**
 * `caption-studio edit`: bulk caption edits from the command line, through the same contract
 * (`edit.*`) as the studio. One operation per run over the library (or --folder, --search), a
 * preview with --dry-run, --undo and --redo a step of the history the studio shares.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Request } from '../core/api/contract.ts';
import type { EditBatchView, EditStep } from '../core/api/edit.ts';
import type { Studio } from '../core/studio.ts';
import { call, given, UsageError } from './args.ts';
import { withStudio } from './commands.ts';

/** Request fields and the flags that set them (a rejected field is reported as its flag). */
const FLAGS: Record<string, string> = {
  'op.find': 'find',
  'op.replace': 'replace',
  'op.text': 'text',
  'op.to': 'case',
  'op.separator': 'separator',
  'library.search': 'search',
};
const OPERATIONS = ['find', 'prepend', 'append', 'strip', 'case', 'trim'] as const;
/** How many changes --dry-run lists. */
const SHOWN = 10;

type Op = Request<'edit.apply'>['op'];

function operation(v: Record<string, string | boolean | undefined>): Op {
  const given_ = OPERATIONS.filter((o) => v[o] !== undefined);
  if (given_.length !== 1)
    throw new UsageError(
      given_.length
        ? `one operation at a time: --${given_.join(', --')}`
        : 'name an operation: --find with --replace, --prepend, --append, --strip, --case, --trim, or --undo, --redo, --history',
    );
  const separator = v.separator as string | undefined;
  switch (given_[0]) {
    case 'find':
      if (v.replace === undefined)
        throw new UsageError('--find needs --replace (an empty one deletes what it finds)');
      return {
        kind: 'replace',
        find: v.find as string,
        replace: v.replace as string,
        regex: Boolean(v.regex),
        ignoreCase: Boolean(v['ignore-case']),
      };
    case 'prepend':
    case 'append':
      return { kind: given_[0], text: v[given_[0]] as string, ...given({ separator }) };
    case 'strip':
      return { kind: 'strip', text: v.strip as string };
    case 'case':
      return { kind: 'case', to: v.case as 'lower' };
    default:
      return { kind: 'whitespace' };
  }
}

const batchLine = (b: EditBatchView) => `edit ${b.id} (${b.label}, ${b.changed} captions)`;

function stepLine(s: EditStep, verb: 'Undid' | 'Redid'): string {
  if (!s.batch) return `Nothing to ${verb === 'Undid' ? 'undo' : 'redo'}\n`;
  return `${verb} ${batchLine(s.batch)}\n`;
}

/** The library filter a run works on: a folder of the library (by path), and/or a caption search. */
async function target(studio: Studio, folder: string | undefined, search: string | undefined) {
  if (folder === undefined) return { library: given({ search }) };
  const path = resolve(folder);
  const root = (await call(studio, 'library.roots', {})).find((r) => r.path === path);
  if (!root)
    throw new UsageError(`--folder: ${path} is not a folder of the library (see caption-studio status)`);
  return { library: { rootId: root.id, ...given({ search }) } };
}

export async function editCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      find: { type: 'string' },
      replace: { type: 'string' },
      regex: { type: 'boolean' },
      'ignore-case': { type: 'boolean' },
      prepend: { type: 'string' },
      append: { type: 'string' },
      separator: { type: 'string' },
      strip: { type: 'string' },
      case: { type: 'string' },
      trim: { type: 'boolean' },
      folder: { type: 'string' },
      search: { type: 'string' },
      'dry-run': { type: 'boolean' },
      undo: { type: 'boolean' },
      redo: { type: 'boolean' },
      history: { type: 'boolean' },
    },
  });
  const history = ['undo', 'redo', 'history'].filter((f) => values[f as 'undo']);
  if (history.length > 1) throw new UsageError(`one of --${history.join(', --')}`);
  const op = history.length ? undefined : operation(values);
  return withStudio(values['data-dir'], async (studio) => {
    if (values.undo) return void out.write(stepLine(await call(studio, 'edit.undo', {}), 'Undid'));
    if (values.redo) return void out.write(stepLine(await call(studio, 'edit.redo', {}), 'Redid'));
    if (values.history) {
      const h = await call(studio, 'edit.history', {});
      if (!h.batches.length) out.write('No edits yet\n');
      for (const b of h.batches)
        out.write(`${b.state === 'undone' ? 'undone  ' : 'applied '}${batchLine(b)}\n`);
      return;
    }
    const req = { op: op!, ...(await target(studio, values.folder, values.search)) };
    const p = await call(studio, 'edit.preview', req, FLAGS);
    const empty = p.emptied ? ` (${p.emptied} would be left empty: those stay as they are)` : '';
    if (values['dry-run']) {
      out.write(`Would change ${p.changed} of ${p.images} captions${empty}\n`);
      for (const s of p.samples.slice(0, SHOWN)) {
        const { file } = await call(studio, 'image.get', { fileId: s.fileId });
        out.write(`  ${file.rel}\n    - ${s.before}\n    + ${s.after}\n`);
      }
      return;
    }
    const b = await call(studio, 'edit.apply', { ...req, expect: p.changed }, FLAGS);
    out.write(
      `Changed ${b.changed} of ${p.images} captions${empty}: ${batchLine(b)}. Undo: caption-studio edit --undo\n`,
    );
  });
}
