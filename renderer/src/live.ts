/** A list the core keeps current by pushing: loaded once, then every pushed view put in place. */
import { useCallback, useEffect, useState } from 'react';
import type { Events } from '../../electron/core/api/contract.ts';
import { call, onEvent } from './api.ts';

type Live = { 'jobs.progress': 'jobs.list'; 'models.pull': 'models.pulls' };

/** Puts a view in place by id (newest first). */
const merge = <T extends { id: number }>(list: T[], v: T) =>
  list.some((x) => x.id === v.id) ? list.map((x) => (x.id === v.id ? v : x)) : [v, ...list];

export function useLive<E extends keyof Live>(event: E, channel: Live[E], onError: (e: unknown) => void) {
  type View = Events[E];
  const [list, setList] = useState<View[]>([]);
  useEffect(() => {
    // subscribe first: what is pushed while the list loads is kept
    const stop = onEvent(event, (v) => setList((l) => merge(l, v)));
    (call as (c: Live[E], req: object) => Promise<View[]>)(channel, {}).then(
      (l) => setList((pushed) => l.reduce(merge, pushed)),
      onError,
    );
    return stop;
  }, [event, channel, onError]);
  const add = useCallback((v: View) => setList((l) => merge(l, v)), []);
  return [list, add] as const;
}
