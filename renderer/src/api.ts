/**
 * The renderer's one way to the core: the preload's `window.captionStudio` inside Electron, else
 * the HTTP API of `caption-studio serve` with the access token from the page URL and server-sent
 * events for progress. Both are the same `Bridge`.
 */
import type { Bridge } from '../../electron/core/api/bridge.ts';
import {
  type Channel,
  EVENT_NAMES,
  type EventMessage,
  type EventName,
  type Events,
  makeClient,
  type Request,
  type Responses,
  type Result,
} from '../../electron/core/api/contract.ts';

declare global {
  interface Window {
    captionStudio?: Bridge;
  }
}

function httpBridge(): Bridge {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('cs-token') ?? '';
  sessionStorage.setItem('cs-token', token);
  const api = makeClient(async (channel, req) => {
    const res = await fetch(`api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(req),
    });
    if (res.status === 401)
      return {
        ok: false,
        status: 401,
        error: 'access token missing or wrong: open the URL caption-studio serve printed',
      };
    return res.json();
  });
  return {
    ...api,
    mediaUrl: (kind, fileId) => `${kind}/${fileId}?token=${encodeURIComponent(token)}`,
    onEvent(listener) {
      const source = new EventSource(`api/events?token=${encodeURIComponent(token)}`);
      const handlers = EVENT_NAMES.map((event) => {
        const on = (e: MessageEvent) => listener({ event, data: JSON.parse(e.data) } as EventMessage);
        source.addEventListener(event, on);
        return on;
      });
      return () => {
        EVENT_NAMES.forEach((event, i) => {
          source.removeEventListener(event, handlers[i]);
        });
        source.close();
      };
    },
  };
}

const bridge: Bridge = window.captionStudio ?? httpBridge();

export const mediaUrl = bridge.mediaUrl;

/** Listens to one kind of event; returns a function that stops listening. */
export function onEvent<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
  return bridge.onEvent((m) => {
    if (m.event === event) listener(m.data as Events[E]);
  });
}

/** Calls the API and throws the error value (with its HTTP-like `status`), for code that shows errors in one place. */
export async function call<C extends Channel>(channel: C, req: Request<C>): Promise<Responses[C]> {
  const fn = bridge[channel] as unknown as (q: Request<C>) => Promise<Result<Responses[C]>>;
  const r = await fn(req);
  if (!r.ok) throw Object.assign(new Error(r.error), { status: r.status });
  return r.value;
}
