/**
 * What the desktop app's preload gives the renderer (`window.captionStudio`), and what the browser
 * build makes of HTTP: the API, image URLs, and the event stream.
 */
import type { Api, EventMessage } from './contract.ts';

export type MediaKind = 'media' | 'thumb';

export type Bridge = Api & {
  /** an image file by id: the original, or its thumbnail */
  mediaUrl(kind: MediaKind, fileId: number): string;
  /** job progress as it happens; returns a function that stops listening */
  onEvent(listener: (m: EventMessage) => void): () => void;
};
