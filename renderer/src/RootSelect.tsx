import { useEffect, useState } from 'react';
import type { RootInfo } from '../../electron/core/api/types.ts';
import { call } from './api.ts';

/** The library folders, loaded once; the first is chosen until the user picks another. */
export function useRoots(onError: (e: unknown) => void) {
  const [roots, setRoots] = useState<RootInfo[]>([]);
  const [rootId, setRootId] = useState<number | null>(null);
  useEffect(() => {
    call('library.roots', {}).then((r) => {
      setRoots(r);
      setRootId((id) => id ?? r[0]?.id ?? null);
    }, onError);
  }, [onError]);
  return { roots, rootId, setRootId };
}

export function RootSelect(props: {
  label: string;
  roots: RootInfo[];
  rootId: number | null;
  onChange: (id: number) => void;
}) {
  return (
    <select
      aria-label={props.label}
      value={props.rootId ?? ''}
      onChange={(e) => props.onChange(Number(e.target.value))}
    >
      {props.roots.map((r) => (
        <option key={r.id} value={r.id}>
          {r.path}
        </option>
      ))}
    </select>
  );
}
