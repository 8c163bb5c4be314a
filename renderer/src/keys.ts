/** Keyboard shortcuts on the window. */
import { useLayoutEffect } from 'react';

/** A key pressed while typing in a field is the field's, not a shortcut. */
export const typing = (e: KeyboardEvent) =>
  (e.target as HTMLElement).closest('input, textarea, select') !== null;

/**
 * Listens for keys with a handler that sees what is on screen: the handler is replaced in every
 * commit of the page (a layout effect), so a key pressed just after the page changed never reaches
 * the previous page's handler (with a passive effect a busy browser let a rating key land on the
 * previous image).
 */
export function useKeys(onKey: (e: KeyboardEvent) => void): void {
  useLayoutEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
}
