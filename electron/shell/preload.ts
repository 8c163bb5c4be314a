/**
 * Preload (sandboxed, context-isolated): exposes exactly one object, the typed API, to the
 * renderer. The renderer never sees ipcRenderer. Checked against the same `Api` type as the HTTP
 * client: a contract change that breaks either fails the type check.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { type Api, makeClient } from '../core/api/contract.ts';

const api = makeClient((channel, req) => ipcRenderer.invoke(channel, req)) satisfies Api;

const exposed = {
  ...api,
  mediaUrl: (kind: 'media' | 'thumb', rootId: number, rel: string) =>
    `studio-media://${kind}/${rootId}/${rel.split('/').map(encodeURIComponent).join('/')}`,
} satisfies Api & { mediaUrl(kind: 'media' | 'thumb', rootId: number, rel: string): string };

contextBridge.exposeInMainWorld('captionStudio', exposed);
