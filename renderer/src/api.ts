/**
 * The renderer's one way to the core: the preload's `window.captionStudio` inside Electron, else
 * the HTTP API of `caption-studio serve` with the access token from the page URL. Both are `Api`.
 */
import {
  type Api,
  type Channel,
  makeClient,
  type Request,
  type Responses,
  type Result,
} from '../../electron/core/api/contract.ts';

declare global {
  interface Window {
    captionStudio?: Api & { mediaUrl(kind: 'media' | 'thumb', rootId: number, rel: string): string };
  }
}

function httpTransport(): Api {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('cs-token') ?? '';
  sessionStorage.setItem('cs-token', token);
  return makeClient(async (channel, req) => {
    const res = await fetch(`api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(req),
    });
    if (res.status === 401)
      return { ok: false, error: 'access token missing or wrong: open the URL caption-studio serve printed' };
    return res.json();
  });
}

export const api: Api = window.captionStudio ?? httpTransport();

export function mediaUrl(kind: 'media' | 'thumb', rootId: number, rel: string): string {
  if (window.captionStudio) return window.captionStudio.mediaUrl(kind, rootId, rel);
  const token = sessionStorage.getItem('cs-token') ?? '';
  return `${kind}/${rootId}/${rel.split('/').map(encodeURIComponent).join('/')}?token=${token}`;
}

/** Calls the API and throws the error value, for code that shows errors in one place. */
export async function call<C extends Channel>(channel: C, req: Request<C>): Promise<Responses[C]> {
  const fn = api[channel] as unknown as (q: Request<C>) => Promise<Result<Responses[C]>>;
  const r = await fn(req);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
