/**
 * Bulk caption edits (channels `edit.*`): each step runs in a worker thread of its own with its own
 * connection, so ten thousand captions edited or restored never hold up the thread that answers
 * the UI. Owner only: raters' links do not reach these channels (RATER_CHANNELS).
 */
import { databasePath } from '../../../db/open.ts';
import type { Handlers, ParsedRequest } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { runOnce } from '../threads.ts';
import { history } from './steps.ts';

const WORKER = new URL('./edit-boot.mjs', import.meta.url);

/** What the worker is asked: the database and the step. */
export interface StepRequest {
  dbFile: string;
  step:
    | { kind: 'preview'; req: ParsedRequest<'edit.preview'> }
    | { kind: 'apply'; req: ParsedRequest<'edit.apply'> }
    | { kind: 'words'; req: ParsedRequest<'edit.words'> }
    | { kind: 'undo' | 'redo' };
}

type EditChannels = 'edit.preview' | 'edit.apply' | 'edit.words' | 'edit.undo' | 'edit.redo' | 'edit.history';

export function editHandlers({ db, dataDir }: Core): Pick<Handlers, EditChannels> {
  const step = <T>(s: StepRequest['step']) => runOnce<T>(WORKER, { dbFile: databasePath(dataDir), step: s });
  return {
    'edit.preview': (req) => step({ kind: 'preview', req }),
    'edit.apply': (req) => step({ kind: 'apply', req }),
    'edit.words': (req) => step({ kind: 'words', req }),
    'edit.undo': () => step({ kind: 'undo' }),
    'edit.redo': () => step({ kind: 'redo' }),
    'edit.history': async () => history(db),
  };
}
