/**
 * The renderer's one way to the core: the preload's `window.captionStudio` inside Electron, else
 * the HTTP API of `caption-studio serve` and server-sent events for progress. Both are the same
 * `Bridge`. Served, the access token comes in the page URL once: it is moved out of the address
 * bar at load (kept in this tab's session storage, sent as `Authorization`), and images and the
 * event stream, which cannot send headers, carry a short-lived grant the server renews.
 */
import { type Bridge, mediaPath } from '../../electron/core/api/bridge.ts';
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

/** The token from the page URL (then taken out of it) or from this tab's earlier load. */
function takeToken(): string {
  const url = new URL(location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('cs-token') ?? '';
  sessionStorage.setItem('cs-token', token);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url);
  }
  return token;
}

const post = (path: string, token: string, body: unknown) =>
  fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

/** The current grant for images and events, renewed at half its life; '' when refused. */
async function keepGrant(token: string): Promise<() => string> {
  let grant = '';
  const renew = async (): Promise<void> => {
    let next = 60_000; // retry soon after a failure
    try {
      const r = (await (await post('api/grant', token, {})).json()) as Result<{
        grant: string;
        expiresInMs: number;
      }>;
      if (r.ok) [grant, next] = [r.value.grant, r.value.expiresInMs / 2];
    } catch {}
    setTimeout(renew, next);
  };
  await renew();
  return () => grant;
}

async function httpBridge(): Promise<Bridge> {
  const token = takeToken();
  const grant = await keepGrant(token);
  const withGrant = (path: string) =>
    `${path}${path.includes('?') ? '&' : '?'}grant=${encodeURIComponent(grant())}`;
  const api = makeClient(async (channel, req) => {
    const res = await post(`api/${channel}`, token, req);
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
    mediaUrl: (kind, fileId, thumb) => withGrant(mediaPath(kind, fileId, thumb)),
    onEvent(listener) {
      let source: EventSource;
      let stopped = false;
      const open = () => {
        source = new EventSource(withGrant('api/events'));
        for (const event of EVENT_NAMES)
          source.addEventListener(event, (e) =>
            listener({ event, data: JSON.parse(e.data) } as EventMessage),
          );
        // the browser retries a dropped stream with the same URL; once refused (a lapsed grant), a new one
        source.onerror = () => {
          if (source.readyState === EventSource.CLOSED && !stopped) setTimeout(open, 5_000);
        };
      };
      open();
      return () => {
        stopped = true;
        source.close();
      };
    },
  };
}

const bridge: Bridge = window.captionStudio ?? (await httpBridge());

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
