/**
 * The image view's layer and head choice, and each hovered candidate's maps for it (asked of the
 * core once per candidate and choice: the model runs the candidate's tokens again). The default
 * choice (last layer, mean of heads) is also what every run stores, so the map shows at once.
 */
import { useEffect, useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import { call } from '../api.ts';

export type Layers = Responses['candidate.layers'];

export interface Pick {
  layer: number | 'mean' | 'last';
  head: number | 'mean';
}

export const DEFAULT_PICK: Pick = { layer: 'last', head: 'mean' };
export const isDefault = (p: Pick) => p.layer === 'last' && p.head === 'mean';
const key = (candidateId: number, p: Pick) => `${candidateId}:${p.layer}:${p.head}`;

export function useLayers(fileId: number, hovered: number | null, onError: (e: unknown) => void) {
  const [pick, setPick] = useState<Pick>(DEFAULT_PICK);
  const [maps, setMaps] = useState<Map<string, Layers>>(new Map());
  const [counts, setCounts] = useState<{ layers: number; heads: number } | null>(null);
  useEffect(() => {
    if (hovered === null || maps.has(key(hovered, pick))) return;
    let live = true;
    call('candidate.layers', { fileId, candidateId: hovered, ...pick }).then((m) => {
      if (!live) return;
      setMaps((all) => new Map(all).set(key(hovered, pick), m));
      setCounts({ layers: m.layers, heads: m.heads });
    }, onError);
    return () => {
      live = false;
    };
  }, [fileId, hovered, pick, maps, onError]);
  return { pick, setPick, counts, maps: (candidateId: number) => maps.get(key(candidateId, pick)) ?? null };
}
