/**
 * Selection in the library grid, by position under the current filters (the grid's order): click
 * a tile's mark to select it alone, shift-click to select the range from the last one, ctrl/cmd-click
 * to toggle one, or select everything the filters show. Positions become file ids only when an edit
 * needs them (pages not loaded yet are fetched then).
 */
import { useCallback, useState } from 'react';

export interface Selection {
  /** every file the filters show */
  all: boolean;
  indices: Set<number>;
  anchor: number | null;
}

export const NONE: Selection = { all: false, indices: new Set(), anchor: null };

/** The selection after a click on the tile at `index`, with the modifier keys held. */
export function clicked(s: Selection, index: number, mods: { shift: boolean; toggle: boolean }): Selection {
  if (mods.shift && s.anchor !== null) {
    const indices = new Set(s.all ? [] : s.indices);
    const [a, b] = s.anchor < index ? [s.anchor, index] : [index, s.anchor];
    for (let i = a; i <= b; i++) indices.add(i);
    return { all: false, indices, anchor: s.anchor };
  }
  if (mods.toggle) {
    const indices = new Set(s.indices);
    if (indices.has(index)) indices.delete(index);
    else indices.add(index);
    return { all: false, indices, anchor: index };
  }
  return { all: false, indices: new Set([index]), anchor: index };
}

export function useSelection(): [Selection, (s: Selection) => void, (i: number) => boolean] {
  const [s, set] = useState<Selection>(NONE);
  const has = useCallback((i: number) => s.all || s.indices.has(i), [s]);
  return [s, set, has];
}
