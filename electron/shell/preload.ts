/**
 * Preload (sandboxed, context-isolated): exposes exactly one object, the typed API, to the
 * renderer. The renderer never sees ipcRenderer. Checked against the same `Bridge` type the
 * renderer expects: a contract change that breaks either fails the type check.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { type Bridge, mediaPath } from '../core/api/bridge.ts';
import { type EventMessage, makeClient } from '../core/api/contract.ts';

const exposed = {
  ...makeClient((channel, req) => ipcRenderer.invoke(channel, req)),
  mediaUrl: (kind, fileId, thumb) => `studio-media://${mediaPath(kind, fileId, thumb)}`,
  onEvent: (listener) => {
    const on = (_: unknown, m: EventMessage) => listener(m);
    ipcRenderer.on('studio-event', on);
    return () => ipcRenderer.off('studio-event', on);
  },
} satisfies Bridge;

contextBridge.exposeInMainWorld('captionStudio', exposed);
