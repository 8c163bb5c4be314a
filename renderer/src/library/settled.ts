/**
 * Whether a row or tile has stayed in view for a moment: its thumbnail is asked for then, so the
 * rows a fast scroll only flies past cost no request, no thumbnail made by the server and no image
 * decoded (the CPU the scroll's frames need), and a row the view stops on shows its image a blink
 * later. The first rows of a view wait the same.
 */
import { useEffect, useState } from 'react';

/** How long a row must stay in view before its thumbnail is asked for, in ms. */
export const SETTLE_MS = 120;

export function useSettled(): boolean {
  const [settled, setSettled] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setSettled(true), SETTLE_MS);
    return () => clearTimeout(t);
  }, []);
  return settled;
}
