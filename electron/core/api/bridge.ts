/**
 * What the desktop app's preload gives the renderer (`window.captionStudio`), and what the browser
 * build makes of HTTP: the API, image URLs, and the event stream.
 */
import type { Api, EventMessage } from './contract.ts';

export type MediaKind = 'media' | 'thumb';

export type Bridge = Api & {
  /**
   * an image file by id: the original, or its thumbnail (a rendition) whose longest side is at
   * least `size`; with the image's content `hash`, a URL caches may keep for good
   */
  mediaUrl(kind: MediaKind, fileId: number, thumb?: { hash?: string | null; size?: number }): string;
  /** job progress as it happens; returns a function that stops listening */
  onEvent(listener: (m: EventMessage) => void): () => void;
};

/**
 * The path of `mediaUrl` both transports share: `media/ID`, or `thumb/ID[/HASH][?size=N]` (the
 * content hash makes the URL name one version of the image, so it may be cached for good).
 */
export function mediaPath(kind: MediaKind, fileId: number, thumb?: { hash?: string | null; size?: number }) {
  if (kind !== 'thumb') return `${kind}/${fileId}`;
  const version = thumb?.hash ? `/${thumb.hash}` : '';
  return `thumb/${fileId}${version}${thumb?.size ? `?size=${thumb.size}` : ''}`;
}
