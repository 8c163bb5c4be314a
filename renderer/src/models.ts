/**
 * The models the studio can caption with, and the one this browser chose for jobs and re-captions
 * (kept across reloads; the studio's default until the user picks another).
 */
import { useCallback, useEffect, useState } from 'react';
import type { FamilyFacts } from '../../electron/core/api/catalog.ts';
import type { Dtype, Responses } from '../../electron/core/api/contract.ts';
import type { Task } from '../../electron/core/api/decoding.ts';
import type { ModelEntry } from '../../electron/core/api/types.ts';
import { call, onEvent } from './api.ts';

export interface Choice {
  ref: string;
  dtype?: Dtype;
  /** for models that take a task prompt */
  task?: Task;
}

/** What a model family can do, in words: 'tasks: caption, detailed; heat-maps; n-best'. */
export function canText(can: FamilyFacts | null): string {
  if (!can) return 'not a model family the studio runs';
  const parts = [
    can.tasks.length ? `tasks: ${can.tasks.join(', ')}` : '',
    can.attention ? 'heat-maps' : '',
    can.nBest ? 'n-best' : '',
  ];
  return parts.filter(Boolean).join('; ');
}

const KEY = 'cs-model';
const CHANGED = 'cs-model-changed';

function stored(): Choice | null {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
}

export function choose(c: Choice): void {
  localStorage.setItem(KEY, JSON.stringify(c));
  window.dispatchEvent(new Event(CHANGED));
}

/** The installed models (refreshed when a download finishes) and this browser's choice among them. */
export function useModels(onError: (e: unknown) => void) {
  const [list, setList] = useState<Responses['models.list'] | null>(null);
  const [picked, setPicked] = useState<Choice | null>(stored);
  const refresh = useCallback(() => call('models.list', {}).then(setList, onError), [onError]);
  useEffect(() => {
    refresh();
    const onChange = () => setPicked(stored());
    window.addEventListener(CHANGED, onChange);
    const stop = onEvent('models.pull', (p) => p.state === 'done' && refresh());
    return () => {
      window.removeEventListener(CHANGED, onChange);
      stop();
    };
  }, [refresh]);
  const installed = list?.installed ?? [];
  // a choice whose model was removed falls back to the studio's default
  const chosen: Choice =
    picked && installed.some((m) => m.ref === picked.ref) ? picked : { ref: list?.default ?? 'default' };
  const entry: ModelEntry | undefined = installed.find((m) => m.ref === chosen.ref);
  return { list, installed, chosen, entry, refresh };
}

/** The request fields for the chosen model ('default' is what the studio uses unasked). */
export const modelFields = (c: Choice) => ({ model: c.ref, ...(c.dtype ? { dtype: c.dtype } : {}) });

/** The decoding field for the chosen task (models without tasks get none). */
export const taskField = (c: Choice, entry: ModelEntry | undefined) =>
  entry?.tasks.length ? { task: c.task && entry.tasks.includes(c.task) ? c.task : entry.tasks[0] } : {};
